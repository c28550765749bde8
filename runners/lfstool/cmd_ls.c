/*
 * cmd_ls.c - `lfstool ls [-R] IMAGE [PATH]`: one line per entry, type
 * ('d' or '-'), size (files) and name; with -R every entry below PATH, by
 * its full path. A PATH naming a file lists just that file.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "tree.h"

struct listing {
    size_t skip;                /* bytes of the path before the name shown */
};

static void print_line(const struct lfs_info *info, const char *shown)
{
    if (info->type == LFS_TYPE_DIR) {
        printf("d %10s  ", "-");
    } else {
        printf("- %10lu  ", (unsigned long)info->size);
    }
    tree_print_name(stdout, shown);
    putchar('\n');
}

static int list_entry(void *ctx, const char *path, const struct lfs_info *info)
{
    const struct listing *l = ctx;
    print_line(info, path + l->skip);
    return 0;
}

int cmd_ls(const struct cli *cli)
{
    char path[TREE_PATH_MAX];
    if (image_path(cli->nargs > 1 ? cli->args[1] : NULL, path, sizeof(path)) < 0) {
        return EXIT_USAGE;
    }
    struct image img;
    if (image_open(&img, cli->args[0], &cli->geometry) < 0) {
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    struct lfs_info info;
    int err = lfs_stat(&img.lfs, path, &info);
    if (err) {
        image_error(&img, path, err);
    } else if (info.type != LFS_TYPE_DIR) {
        print_line(&info, path);
        status = EXIT_OK;
    } else {
        /* names relative to PATH, or full paths with -R */
        size_t len = strlen(path);
        struct listing l = {cli->recursive ? 0 : len + (path[len - 1] != '/')};
        if (tree_walk(&img, path, cli->recursive, list_entry, &l) == 0) {
            status = EXIT_OK;
        }
    }
    if (fflush(stdout) != 0) {
        cli_error("stdout: write failed");
        status = EXIT_FAIL;
    }
    image_close(&img);
    return status;
}
