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
    struct image img;
    struct lfs_info info;
    int status = image_open_at(&img, cli, cli->nargs > 1 ? cli->args[1] : NULL, false,
            path, sizeof(path), &info);
    if (status != EXIT_OK) {
        return status;
    }
    if (info.type != LFS_TYPE_DIR) {
        print_line(&info, path);
    } else {
        /* names relative to PATH, or full paths with -R */
        size_t len = strlen(path);
        struct listing l = {cli->recursive ? 0 : len + (path[len - 1] != '/')};
        if (tree_walk(&img, path, cli->recursive, list_entry, &l) != 0) {
            status = EXIT_FAIL;
        }
    }
    if (fflush(stdout) != 0) {
        cli_error("stdout: write failed");
        status = EXIT_FAIL;
    }
    image_close(&img);
    return status;
}
