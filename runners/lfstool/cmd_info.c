/*
 * cmd_info.c - `lfstool info`: disk version, geometry, limits, blocks in use
 * and free, and how many files and directories the image holds.
 */
#include <stdio.h>

#include "commands.h"
#include "image.h"
#include "tree.h"

struct counts {
    unsigned long files, dirs;
    unsigned long long file_bytes;
};

static int count_entry(void *ctx, const char *path, const struct lfs_info *info)
{
    struct counts *c = ctx;
    (void)path;
    if (info->type == LFS_TYPE_DIR) {
        c->dirs++;
    } else {
        c->files++;
        c->file_bytes += info->size;
    }
    return 0;
}

int cmd_info(const struct cli *cli)
{
    struct image img;
    if (image_open(&img, cli->args[0], &cli->geometry) < 0) {
        return EXIT_FAIL;
    }
    struct counts counts = {0};
    int status = EXIT_FAIL;
    lfs_ssize_t used = lfs_fs_size(&img.lfs);
    if (used < 0) {
        image_error(&img, "/", used);
    } else if (tree_walk(&img, "/", true, count_entry, &counts) == 0) {
        const struct lfs_fsinfo *fs = &img.fsinfo;
        unsigned long count = (unsigned long)fs->block_count;
        printf("image:         %s\n", img.path);
        printf("image bytes:   %llu\n", (unsigned long long)img.file_size);
        printf("disk version:  %lu.%lu (0x%08lx)\n",
                (unsigned long)(fs->disk_version >> 16),
                (unsigned long)(fs->disk_version & 0xffff),
                (unsigned long)fs->disk_version);
        printf("block size:    %lu\n", (unsigned long)fs->block_size);
        printf("block count:   %lu\n", count);
        printf("geometry from: %s\n", img.detected ? "superblock" : "command line");
        printf("read size:     %lu\n", (unsigned long)img.cfg.read_size);
        printf("prog size:     %lu\n", (unsigned long)img.cfg.prog_size);
        printf("name max:      %lu\n", (unsigned long)fs->name_max);
        printf("file max:      %lu\n", (unsigned long)fs->file_max);
        printf("attr max:      %lu\n", (unsigned long)fs->attr_max);
        printf("blocks used:   %ld\n", (long)used);
        printf("blocks free:   %ld\n", (long)count - (long)used);
        printf("files:         %lu\n", counts.files);
        printf("file bytes:    %llu\n", counts.file_bytes);
        printf("directories:   %lu\n", counts.dirs);
        status = EXIT_OK;
    }
    image_close(&img);
    return status;
}
