/*
 * cmd_cat.c - `lfstool cat IMAGE PATH`: a file's raw bytes to stdout.
 */
#include <stdio.h>

#include "commands.h"
#include "image.h"
#include "tree.h"

static int write_stdout(void *ctx, const void *data, size_t size)
{
    (void)ctx;
    if (fwrite(data, 1, size, stdout) != size) {
        cli_error("stdout: write failed");
        return -1;
    }
    return 0;
}

int cmd_cat(const struct cli *cli)
{
    char path[TREE_PATH_MAX];
    struct image img;
    struct lfs_info info;
    int status = image_open_at(&img, cli, cli->args[1], false, path, sizeof(path), &info);
    if (status != EXIT_OK) {
        return status;
    }
    if (info.type == LFS_TYPE_DIR) {
        image_error(&img, path, LFS_ERR_ISDIR);
        status = EXIT_FAIL;
    } else if (tree_read_file(&img, path, write_stdout, NULL) != 0) {
        status = EXIT_FAIL;
    }
    if (fflush(stdout) != 0) {
        cli_error("stdout: write failed");
        status = EXIT_FAIL;
    }
    image_close(&img);
    return status;
}
