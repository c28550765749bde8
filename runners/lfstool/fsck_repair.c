/*
 * fsck_repair.c - `lfstool fsck --repair IMAGE OUT`: a repaired copy of
 * IMAGE in OUT; IMAGE is only read.
 *
 * First the cheap way: if the check finds nothing worse than what a mount
 * repairs (status <= 1), the image is mounted in memory, made consistent
 * with lfs_fs_mkconsistent and saved. Otherwise, or if that copy still does
 * not check clean, OUT is rebuilt: a fresh image of the same geometry and
 * disk version, into which fsck_recover's readable directories, files and
 * attributes are copied through the public API; each entry that cannot be
 * read (or only partly) is dropped and listed. OUT is checked at the end;
 * its status is the exit status.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fsck.h"
#include "image.h"
#include "image_write.h"

struct rebuild {
    struct image *img;
    unsigned long files, dirs, dropped;
    char last_lost[4200];       /* a partial file is dropped, not copied */
};

static void rebuild_lost(void *ctx, const char *path, uint32_t block, const char *why)
{
    struct rebuild *rb = ctx;
    rb->dropped++;
    snprintf(rb->last_lost, sizeof(rb->last_lost), "%s", path);
    printf("dropped /%s: %s (block 0x%x)\n", path, why, (unsigned)block);
}

static int set_attrs(struct rebuild *rb, const char *path,
        const struct recover_attr *attrs, int nattrs)
{
    for (int i = 0; i < nattrs; i++) {
        int err = lfs_setattr(&rb->img->lfs, path, attrs[i].type, attrs[i].data,
                attrs[i].len);
        if (err) {
            char why[80];
            snprintf(why, sizeof(why), "attribute 0x%02x not copied: %s",
                    attrs[i].type, image_strerror(err));
            rebuild_lost(rb, path[0] == '/' ? path + 1 : path, 0xffffffffu, why);
        }
    }
    return 0;
}

static int rebuild_dir(void *ctx, const char *path,
        const struct recover_attr *attrs, int nattrs)
{
    struct rebuild *rb = ctx;
    char full[4200];
    snprintf(full, sizeof(full), "/%s", path);
    if (path[0]) {
        int err = lfs_mkdir(&rb->img->lfs, full);
        if (err && err != LFS_ERR_EXIST) {
            rebuild_lost(rb, path, 0xffffffffu, image_strerror(err));
            return 0;
        }
        rb->dirs++;
    }
    return set_attrs(rb, full, attrs, nattrs);
}

static int rebuild_file(void *ctx, const char *path, const uint8_t *data,
        uint32_t size, const struct recover_attr *attrs, int nattrs)
{
    struct rebuild *rb = ctx;
    if (strcmp(rb->last_lost, path) == 0) {
        return 0;       /* partial: listed as dropped already */
    }
    char full[4200];
    snprintf(full, sizeof(full), "/%s", path);
    lfs_file_t f;
    int err = lfs_file_open(&rb->img->lfs, &f, full, LFS_O_WRONLY | LFS_O_CREAT | LFS_O_EXCL);
    if (!err) {
        lfs_ssize_t n = size ? lfs_file_write(&rb->img->lfs, &f, data, size) : 0;
        err = lfs_file_close(&rb->img->lfs, &f);
        if (n < 0) {
            err = (int)n;
        }
    }
    if (err) {
        rebuild_lost(rb, path, 0xffffffffu, image_strerror(err));
        return 0;
    }
    rb->files++;
    return set_attrs(rb, full, attrs, nattrs);
}

/* Mount, lfs_fs_mkconsistent, save. 0 if OUT was written. */
static int mount_repair(const struct fsck_dev *dev, const char *out)
{
    struct image img;
    memset(&img, 0, sizeof(img));
    img.path = out;
    img.bd = dev->bd;           /* in memory: IMAGE's file is not touched */
    image_configure(&img);
    int err = lfs_mount(&img.lfs, &img.cfg);
    if (err) {
        return -1;
    }
    struct lfs_fsinfo info;
    err = lfs_fs_stat(&img.lfs, &info);
    if (!err) {
        /* keep the image's version when the core writes */
        lfs_unmount(&img.lfs);
        img.cfg.disk_version = info.disk_version;
        err = lfs_mount(&img.lfs, &img.cfg);
        if (err) {
            return -1;
        }
        err = lfs_fs_mkconsistent(&img.lfs);
    }
    lfs_unmount(&img.lfs);
    if (err) {
        return -1;
    }
    return image_save(&img) == 0 ? 0 : -1;
}

static int rebuild(const struct fsck_dev *dev, const char *out, uint32_t version)
{
    struct format_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.geometry.block_size = dev->block_size;
    opts.geometry.block_count = dev->block_count;
    opts.geometry.read_size = dev->read_size;
    opts.geometry.prog_size = dev->prog_size;
    opts.disk_version = version == 0x00020000 ? version : 0x00020001;
    struct image img;
    if (image_create(&img, out, &opts) < 0) {
        return -1;
    }
    struct rebuild rb;
    memset(&rb, 0, sizeof(rb));
    rb.img = &img;
    struct recover_sink sink = {&rb, rebuild_dir, rebuild_file, rebuild_lost};
    int res = fsck_recover(dev, &sink);
    if (res < 0) {
        cli_error("fsck --repair: out of memory");
    } else {
        res = image_save(&img);
    }
    if (res == 0) {
        printf("rebuilt %s: %lu files and %lu directories copied, %lu entries "
                "dropped\n", out, rb.files, rb.dirs, rb.dropped);
    }
    image_close(&img);
    return res;
}

int fsck_repair(const char *in, const char *out, const struct geometry_opts *geo)
{
    struct fsck_report r;
    int before = fsck_run(in, geo, &r);
    uint32_t version = r.disk_version;
    fsck_report_free(&r);
    printf("%s: fsck status %d before repair\n", in, before);

    struct fsck_dev dev;
    char why[300];
    if (fsck_dev_open(&dev, in, geo, why, sizeof(why)) < 0) {
        cli_error("%s: %s", in, why);
        return 3;
    }
    int status = -1;
    if (before <= 1 && mount_repair(&dev, out) == 0) {
        status = fsck_run(out, geo, &r);
        fsck_report_free(&r);
        if (status == 0) {
            printf("%s: mounted and made consistent (lfs_fs_mkconsistent)\n", out);
        }
    }
    if (status != 0) {
        fsck_dev_close(&dev);   /* the mount repair may have written to it */
        if (fsck_dev_open(&dev, in, geo, why, sizeof(why)) < 0) {
            cli_error("%s: %s", in, why);
            return 3;
        }
        if (rebuild(&dev, out, version) < 0) {
            fsck_dev_close(&dev);
            return 3;
        }
        status = fsck_run(out, geo, &r);
        if (status != 0) {
            fsck_report_print(stdout, &r, out);
        }
        fsck_report_free(&r);
    }
    fsck_dev_close(&dev);
    printf("%s: fsck status %d after repair\n", out, status);
    return status;
}
