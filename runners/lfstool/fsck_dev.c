/*
 * fsck_dev.c - opens an image for fsck and salvage without mounting it:
 * the geometry comes from the command line, from a superblock in block 0
 * or 1, or (when both superblock blocks are destroyed) from scanning for
 * metadata blocks whose tails and directory pointers land on other
 * metadata blocks. The bytes live in a bd_emu device and are read with
 * bd_emu_peek, so nothing here can change them.
 */
#define _POSIX_C_SOURCE 200809L

#include "fsck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "lfs_tag.h"
#include "lfs_util.h"

#define MAX_DETECT_BLOCK_SIZE (1024u*1024u)

static void set_why(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

static int make_device(struct fsck_dev *dev, uint32_t bs, uint32_t count,
        const struct geometry_opts *geo, char *why, size_t n)
{
    uint32_t rs = geo->read_size ? geo->read_size : image_default_io_size(bs);
    uint32_t ps = geo->prog_size ? geo->prog_size : rs;
    char reason[200] = "";
    dev->bd = image_device(bs, count, rs, ps, reason, sizeof(reason));
    if (!dev->bd) {
        set_why(why, n, "cannot emulate %u blocks of %u bytes: %s", count, bs, reason);
        return -1;
    }
    int err = bd_emu_load_image(dev->bd, dev->path);
    if (err) {
        set_why(why, n, "cannot load the image (%d)", err);
        bd_emu_destroy(dev->bd);
        dev->bd = NULL;
        return -1;
    }
    dev->block_size = bs;
    dev->block_count = count;
    dev->read_size = rs;
    dev->prog_size = ps;
    return 0;
}

/* Block size of a superblock entry at `off` of the file, 0 if none. */
static uint32_t superblock_size_at(FILE *f, uint64_t off)
{
    uint8_t b[32];
    if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(b, 1, sizeof(b), f) != sizeof(b)) {
        return 0;
    }
    lfs_tag_t name = lfs_get_be32(b + 4) ^ 0xffffffffu;
    lfs_tag_t st = lfs_get_be32(b + 16) ^ name;
    if (memcmp(b + 8, "littlefs", 8) != 0 || name != lfs_mktag(LFS_TYPE_SUPERBLOCK, 0, 8)
            || lfs_tag_type3(st) != LFS_TYPE_INLINESTRUCT || lfs_tag_size(st) < 12
            || lfs_tag_isdelete(st)) {
        return 0;
    }
    return lfs_get_le32(b + 24);
}

/* How well the device hangs together at this geometry: pointers (tails,
 * directory structs) from good metadata blocks to good metadata blocks. */
static long scan_score(const struct fsck_dev *dev, long *valid)
{
    long score = 0;
    *valid = 0;
    for (uint32_t blk = 0; blk < dev->block_count; blk++) {
        struct fsck_pair p;
        if (fsck_pair_load(dev, blk, blk, &p) < 0) {
            return -1;
        }
        if (p.current >= 0) {
            (*valid)++;
            uint32_t ptrs[64];
            int np = 0;
            if (p.has_tail) {
                ptrs[np++] = p.tail[0];
                ptrs[np++] = p.tail[1];
            }
            const uint8_t *d = fsck_pair_block(&p)->data;
            for (uint32_t i = 0; i < p.count && np + 2 <= 64; i++) {
                if (p.entries[i].struct_type == LFS_TYPE_DIRSTRUCT
                        && p.entries[i].struct_len == 8) {
                    ptrs[np++] = lfs_get_le32(d + p.entries[i].struct_off);
                    ptrs[np++] = lfs_get_le32(d + p.entries[i].struct_off + 4);
                }
            }
            for (int i = 0; i < np; i++) {
                if (ptrs[i] < dev->block_count && ptrs[i] != blk) {
                    struct fsck_block b;
                    if (fsck_block_decode(dev, ptrs[i], &b) == 0) {
                        score += b.nvalid > 0;
                        fsck_block_free(&b);
                    }
                }
            }
        }
        fsck_pair_free(&p);
    }
    return score;
}

static int scan_geometry(struct fsck_dev *dev, uint64_t size,
        const struct geometry_opts *geo, char *why, size_t n)
{
    uint32_t best_bs = 0;
    long best_score = -1, best_valid = 0;
    for (uint32_t bs = IMAGE_MIN_BLOCK_SIZE; bs <= MAX_DETECT_BLOCK_SIZE; bs *= 2) {
        if (size % bs != 0 || size / bs < 2 || size / bs > UINT32_MAX
                || (geo->read_size && bs % geo->read_size)
                || (geo->prog_size && bs % geo->prog_size)) {
            continue;
        }
        if (make_device(dev, bs, (uint32_t)(size / bs), geo, why, n) < 0) {
            continue;
        }
        long valid;
        long score = scan_score(dev, &valid);
        bd_emu_destroy(dev->bd);
        dev->bd = NULL;
        if (valid > 0 && score >= best_score) {
            best_score = score;
            best_valid = valid;
            best_bs = bs;
        }
    }
    if (!best_bs) {
        set_why(why, n, "not a littlefs image: no superblock, and no metadata "
                "block at any power-of-two block size from %u to %u",
                IMAGE_MIN_BLOCK_SIZE, MAX_DETECT_BLOCK_SIZE);
        return -1;
    }
    (void)best_valid;
    dev->geometry_from = "scan";
    return make_device(dev, best_bs, (uint32_t)(size / best_bs), geo, why, n);
}

int fsck_dev_open(struct fsck_dev *dev, const char *path,
        const struct geometry_opts *geo, char *why, size_t n)
{
    memset(dev, 0, sizeof(*dev));
    dev->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_why(why, n, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        set_why(why, n, "not a regular file");
        fclose(f);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint32_t bs = geo->block_size, count = geo->block_count;
    if (bs || count) {
        fclose(f);
        if (!bs) {
            bs = size % count == 0 ? (uint32_t)(size / count) : 0;
        } else if (!count) {
            count = size % bs == 0 ? (uint32_t)(size / bs) : 0;
        }
        if (!bs || !count || (uint64_t)bs * count != size) {
            set_why(why, n, "the file size %llu does not match the geometry given",
                    (unsigned long long)size);
            return -1;
        }
        if (bs < IMAGE_MIN_BLOCK_SIZE || count < 2) {
            set_why(why, n, "%u blocks of %u bytes is no littlefs geometry", count, bs);
            return -1;
        }
        dev->geometry_from = "command line";
        return make_device(dev, bs, count, geo, why, n);
    }

    /* a superblock in block 0 names its block size; block 1 moves with it */
    uint32_t found = superblock_size_at(f, 0);
    if (!(found >= IMAGE_MIN_BLOCK_SIZE && size % found == 0 && size / found >= 2)) {
        found = 0;
        for (uint32_t b = IMAGE_MIN_BLOCK_SIZE; b <= MAX_DETECT_BLOCK_SIZE; b *= 2) {
            if (size % b == 0 && size / b >= 2 && superblock_size_at(f, b) == b) {
                found = b;
                break;
            }
        }
    }
    fclose(f);
    if (found && (!geo->read_size || found % geo->read_size == 0)
            && (!geo->prog_size || found % geo->prog_size == 0)) {
        dev->geometry_from = "superblock";
        return make_device(dev, found, (uint32_t)(size / found), geo, why, n);
    }
    return scan_geometry(dev, size, geo, why, n);
}

void fsck_dev_close(struct fsck_dev *dev)
{
    if (dev->bd) {
        bd_emu_destroy(dev->bd);
        dev->bd = NULL;
    }
}

int fsck_dev_read(const struct fsck_dev *dev, uint32_t block, uint32_t off,
        void *buf, uint32_t size)
{
    if (block >= dev->block_count || off > dev->block_size
            || size > dev->block_size - off) {
        return -1;
    }
    return bd_emu_peek(dev->bd, block, off, buf, size) == 0 ? 0 : -1;
}
