/*
 * image.c - opens a littlefs image file: finds its geometry (from the
 * command line or from the superblock), copies the file into an in-memory
 * bd_emu device and mounts it. The file is only ever read, so read-only
 * commands cannot change it whatever the core does on the device.
 *
 * Superblock detection follows the on-disk spec: the superblock entry is
 * the first entry of the metadata pair in blocks 0 and 1, so its magic
 * "littlefs" sits at offset 8 of either block, followed by an inline-struct
 * tag whose data holds version, block size and block count (little-endian).
 */
#define _POSIX_C_SOURCE 200809L

#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIN_BLOCK_SIZE IMAGE_MIN_BLOCK_SIZE
#define MAX_DETECT_BLOCK_SIZE (1024u*1024u)
#define DEFAULT_IO_SIZE 16
#define SUPERBLOCK_PREFIX 44    /* revision, name tag, magic, struct tag, 6 fields */
#define MAX_CANDIDATES 32

const char *image_strerror(int err)
{
    switch (err) {
    case LFS_ERR_IO:          return "I/O error (LFS_ERR_IO)";
    case LFS_ERR_CORRUPT:     return "corrupt filesystem (LFS_ERR_CORRUPT)";
    case LFS_ERR_NOENT:       return "no such file or directory";
    case LFS_ERR_EXIST:       return "already exists";
    case LFS_ERR_NOTDIR:      return "not a directory";
    case LFS_ERR_ISDIR:       return "is a directory";
    case LFS_ERR_NOTEMPTY:    return "directory not empty";
    case LFS_ERR_BADF:        return "bad file handle (LFS_ERR_BADF)";
    case LFS_ERR_FBIG:        return "file too large";
    case LFS_ERR_INVAL:       return "invalid argument or geometry (LFS_ERR_INVAL)";
    case LFS_ERR_NOSPC:       return "no space left on the image";
    case LFS_ERR_NOMEM:       return "out of memory";
    case LFS_ERR_NOATTR:      return "no such attribute";
    case LFS_ERR_NAMETOOLONG: return "name too long";
    default:                  return "unknown error";
    }
}

void image_error(const struct image *img, const char *path, int err)
{
    if (err == LFS_ERR_NOENT || err == LFS_ERR_NOTDIR || err == LFS_ERR_ISDIR) {
        cli_error("%s: %s: %s", img->path, path, image_strerror(err));
    } else {
        cli_error("%s: %s: %s (%d)", img->path, path, image_strerror(err), err);
    }
}

/* ---- the superblock as found in the file ---------------------------------- */

struct superblock {
    bool magic;                 /* "littlefs" at offset 8 */
    bool parsed;                /* tags as the spec lays them out */
    uint32_t version, block_size, block_count;
};

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int read_at(FILE *f, uint64_t off, void *buf, size_t size)
{
    if (fseeko(f, (off_t)off, SEEK_SET) != 0) {
        return -1;
    }
    return fread(buf, 1, size, f) == size ? 0 : -1;
}

static struct superblock read_superblock(FILE *f, uint64_t file_size, uint64_t off)
{
    struct superblock sb = {0};
    uint8_t b[SUPERBLOCK_PREFIX];
    if (off + sizeof(b) > file_size || read_at(f, off, b, sizeof(b)) < 0) {
        return sb;
    }
    sb.magic = memcmp(b + 8, "littlefs", 8) == 0;
    /* tags are big-endian and xored with the previous one, from 0xffffffff:
     * name tag: valid 0, type 0x0ff, id 0, length 8;
     * then inline-struct tag: type 0x201, id 0, length >= 24 */
    uint32_t name_tag = get_be32(b + 4) ^ 0xffffffff;
    uint32_t struct_tag = get_be32(b + 16) ^ name_tag;
    if (sb.magic && name_tag == 0x0ff00008
            && (struct_tag & 0xfffffc00) == 0x20100000
            && (struct_tag & 0x3ff) >= 24 && (struct_tag & 0x3ff) != 0x3ff) {
        sb.parsed = true;
        sb.version = get_le32(b + 20);
        sb.block_size = get_le32(b + 24);
        sb.block_count = get_le32(b + 28);
    }
    return sb;
}

/* ---- building and mounting the device ------------------------------------- */

uint32_t image_default_io_size(uint32_t block_size)
{
    uint32_t n = DEFAULT_IO_SIZE;
    while (block_size % n != 0) {
        n /= 2;
    }
    return n;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Checks a geometry the core will be given; reports and returns -1 if bad. */
static int check_geometry(const struct image *img, uint32_t block_size,
        uint32_t block_count, uint32_t read_size, uint32_t prog_size)
{
    if (block_size < MIN_BLOCK_SIZE) {
        cli_error("%s: block size %u is below littlefs's minimum of %u",
                img->path, block_size, MIN_BLOCK_SIZE);
        return -1;
    }
    if (block_count < 2) {
        cli_error("%s: %u block(s): littlefs needs at least 2", img->path,
                block_count);
        return -1;
    }
    if ((uint64_t)block_size * block_count != img->file_size) {
        cli_error("%s: %u blocks of %u bytes make %llu bytes, but the file "
                "has %llu", img->path, block_count, block_size,
                (unsigned long long)block_size * block_count,
                (unsigned long long)img->file_size);
        return -1;
    }
    if (block_size % read_size != 0 || block_size % prog_size != 0) {
        cli_error("%s: read size %u and prog size %u must both divide the "
                "block size %u", img->path, read_size, prog_size, block_size);
        return -1;
    }
    return 0;
}

static void free_device(struct image *img)
{
    if (img->bd) {
        bd_emu_destroy(img->bd);
        img->bd = NULL;
    }
}

/* Loads the file into a device of this geometry and mounts it.
 * Returns 0, or a negative lfs error with nothing left allocated; on a
 * device problem (not a filesystem one) reports it and returns 1. */
static int try_mount(struct image *img, uint32_t block_size, uint32_t block_count,
        uint32_t read_size, uint32_t prog_size)
{
    char why[256] = "";
    img->bd = image_device(block_size, block_count, read_size, prog_size, why, sizeof(why));
    if (!img->bd) {
        cli_error("%s: cannot emulate this geometry: %s", img->path, why);
        return 1;
    }
    int err = bd_emu_load_image(img->bd, img->path);
    if (err) {
        cli_error("%s: cannot load the image: %s", img->path, image_strerror(err));
        free_device(img);
        return 1;
    }
    image_configure(img);

    err = lfs_mount(&img->lfs, &img->cfg);
    if (err) {
        free_device(img);
        return err;
    }
    err = lfs_fs_stat(&img->lfs, &img->fsinfo);
    if (err) {
        lfs_unmount(&img->lfs);
        free_device(img);
        return err;
    }
    return 0;
}

bd_emu_t *image_device(uint32_t block_size, uint32_t block_count, uint32_t read_size,
        uint32_t prog_size, char *why, size_t n)
{
    struct bd_emu_config bcfg = {
        .read_size = read_size,
        .prog_size = prog_size,
        .block_size = block_size,
        .block_count = block_count,
        .erase_value = 0xff,
        .prog_mode = BD_EMU_PROG_STRICT,
    };
    return bd_emu_create(&bcfg, why, n);
}

void image_configure(struct image *img)
{
    const struct bd_emu_config *g = bd_emu_geometry(img->bd);
    uint32_t read_size = g->read_size, prog_size = g->prog_size;
    uint32_t block_size = g->block_size;
    /* the cache is a multiple of both I/O units, dividing the block */
    uint32_t cache = read_size / gcd32(read_size, prog_size) * prog_size;
    while (cache < 256 && block_size % (cache * 2) == 0) {
        cache *= 2;
    }
    memset(&img->cfg, 0, sizeof(img->cfg));
    img->cfg.context = img->bd;
    img->cfg.read = bd_emu_read;
    img->cfg.prog = bd_emu_prog;
    img->cfg.erase = bd_emu_erase;
    img->cfg.sync = bd_emu_sync;
    img->cfg.read_size = read_size;
    img->cfg.prog_size = prog_size;
    img->cfg.block_size = block_size;
    img->cfg.block_count = g->block_count;
    img->cfg.block_cycles = -1;
    img->cfg.cache_size = cache;
    img->cfg.lookahead_size = 32;
}

static int open_with_geometry(struct image *img, const struct geometry_opts *geo)
{
    uint32_t bs = geo->block_size, count = geo->block_count;
    if (!bs) {
        if (img->file_size % count != 0 || img->file_size / count > UINT32_MAX) {
            cli_error("%s: the file size %llu is not a multiple of --block-count %u",
                    img->path, (unsigned long long)img->file_size, count);
            return -1;
        }
        bs = (uint32_t)(img->file_size / count);
    } else if (!count) {
        if (img->file_size % bs != 0 || img->file_size / bs > UINT32_MAX) {
            cli_error("%s: the file size %llu is not a multiple of --block-size %u",
                    img->path, (unsigned long long)img->file_size, bs);
            return -1;
        }
        count = (uint32_t)(img->file_size / bs);
    }
    uint32_t rs = geo->read_size ? geo->read_size : image_default_io_size(bs);
    uint32_t ps = geo->prog_size ? geo->prog_size : rs;
    if (check_geometry(img, bs, count, rs, ps) < 0) {
        return -1;
    }
    int err = try_mount(img, bs, count, rs, ps);
    if (err < 0) {
        cli_error("%s: cannot mount with %u blocks of %u bytes: %s", img->path,
                count, bs, image_strerror(err));
    }
    return err ? -1 : 0;
}

struct candidate {
    uint32_t block_size;
    bool agrees;                /* a superblock says exactly this geometry */
};

static void add_candidate(struct candidate *c, int *n, uint32_t bs, bool agrees)
{
    for (int i = 0; i < *n; i++) {
        if (c[i].block_size == bs) {
            c[i].agrees |= agrees;
            return;
        }
    }
    if (*n < MAX_CANDIDATES) {
        c[*n].block_size = bs;
        c[*n].agrees = agrees;
        (*n)++;
    }
}

static void report_size_mismatch(const struct image *img, const struct superblock *sb)
{
    cli_error("%s: the superblock says %u blocks of %u bytes (%llu bytes), "
            "but the file has %llu bytes: truncated or padded image? "
            "(--block-size/--block-count override)", img->path,
            sb->block_count, sb->block_size,
            (unsigned long long)sb->block_size * sb->block_count,
            (unsigned long long)img->file_size);
}

static int detect_and_open(struct image *img, FILE *f, const struct geometry_opts *geo)
{
    struct candidate cand[MAX_CANDIDATES];
    int ncand = 0;
    struct superblock seen = {0};   /* a parsed superblock, for messages */
    uint64_t size = img->file_size;

    /* block 0: its superblock tells its block size directly */
    struct superblock sb = read_superblock(f, size, 0);
    if (sb.parsed) {
        seen = sb;
        if (sb.block_size >= MIN_BLOCK_SIZE && size % sb.block_size == 0) {
            add_candidate(cand, &ncand, sb.block_size,
                    (uint64_t)sb.block_size * sb.block_count == size);
        }
    }
    /* block 1 moves with the block size: try each power of two */
    for (uint32_t bs = MIN_BLOCK_SIZE; bs <= MAX_DETECT_BLOCK_SIZE; bs *= 2) {
        if (size % bs != 0 || size / bs < 2) {
            continue;
        }
        struct superblock sb1 = read_superblock(f, size, bs);
        if (sb1.parsed && sb1.block_size == bs) {
            if (!seen.parsed) {
                seen = sb1;
            }
            add_candidate(cand, &ncand, bs, (uint64_t)bs * sb1.block_count == size);
        } else if (sb1.magic || (sb.magic && !sb.parsed)) {
            /* magic without the expected layout: let the mount decide */
            add_candidate(cand, &ncand, bs, false);
        }
    }

    if (ncand == 0) {
        if (seen.parsed) {
            report_size_mismatch(img, &seen);
        } else {
            cli_error("%s: not a littlefs image: no \"littlefs\" magic at offset 8 "
                    "of block 0 or 1 for any power-of-two block size from %u to %u "
                    "that divides the file size (%llu bytes)", img->path,
                    MIN_BLOCK_SIZE, MAX_DETECT_BLOCK_SIZE, (unsigned long long)size);
        }
        return -1;
    }

    /* agreeing superblocks first, then the rest in increasing block size */
    int last_err = 0;
    uint32_t last_bs = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < ncand; i++) {
            if (cand[i].agrees != (pass == 0)) {
                continue;
            }
            uint32_t bs = cand[i].block_size;
            uint32_t count = (uint32_t)(size / bs);
            uint32_t rs = geo->read_size ? geo->read_size : image_default_io_size(bs);
            uint32_t ps = geo->prog_size ? geo->prog_size : rs;
            if (bs % rs != 0 || bs % ps != 0 || count < 2) {
                continue;
            }
            int err = try_mount(img, bs, count, rs, ps);
            if (err == 0) {
                img->detected = true;
                return 0;
            }
            if (err > 0) {
                return -1;
            }
            last_err = err;
            last_bs = bs;
        }
    }
    if (seen.parsed && (uint64_t)seen.block_size * seen.block_count != size) {
        report_size_mismatch(img, &seen);
    } else if (last_err) {
        cli_error("%s: found a littlefs superblock, but mounting with %llu blocks "
                "of %u bytes failed: %s", img->path,
                (unsigned long long)(size / last_bs), last_bs,
                image_strerror(last_err));
    } else {
        cli_error("%s: found a littlefs superblock, but --read-size/--prog-size "
                "do not divide its block size", img->path);
    }
    return -1;
}

int image_open(struct image *img, const char *path, const struct geometry_opts *geo)
{
    memset(img, 0, sizeof(*img));
    img->path = path;

    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        cli_error("%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    img->file_size = (uint64_t)st.st_size;

    int err;
    if (geo->block_size || geo->block_count) {
        err = open_with_geometry(img, geo);
    } else {
        err = detect_and_open(img, f, geo);
    }
    fclose(f);
    return err;
}

void image_close(struct image *img)
{
    if (img->bd) {
        lfs_unmount(&img->lfs);
        bd_emu_destroy(img->bd);
        img->bd = NULL;
    }
}
