/*
 * cmd_mkdir.c - `lfstool mkdir [-p] IMAGE PATH`: makes a directory in an
 * image, in place and atomically (image_write.c). With -p, missing parents
 * are made too and an existing directory is not an error.
 */
#include <string.h>

#include "commands.h"
#include "image_write.h"
#include "tree.h"

/* Makes each missing directory along `path` (absolute). */
static int make_parents(struct image *img, char *path)
{
    for (char *p = path + 1; ; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char end = *p;
        *p = '\0';
        int err = p > path + 1 && p[-1] != '/' ? lfs_mkdir(&img->lfs, path) : 0;
        if (err == LFS_ERR_EXIST) {
            struct lfs_info info;
            err = lfs_stat(&img->lfs, path, &info);
            if (!err && info.type != LFS_TYPE_DIR) {
                err = LFS_ERR_NOTDIR;
            }
        }
        if (err) {
            image_error(img, path, err);
            return -1;
        }
        *p = end;
        if (end == '\0') {
            return 0;
        }
    }
}

int image_mkdirs(struct image *img, const char *given, bool parents)
{
    char path[TREE_PATH_MAX];
    if (image_path(given, path, sizeof(path)) < 0) {
        return -1;
    }
    if (parents) {
        return make_parents(img, path);
    }
    int err = lfs_mkdir(&img->lfs, path);
    if (err) {
        image_error(img, path, err);
        return -1;
    }
    return 0;
}

int cmd_mkdir(const struct cli *cli)
{
    struct image img;
    if (image_open_edit(&img, cli->args[0], &cli->geometry) < 0) {
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    if (image_mkdirs(&img, cli->args[1], cli->parents) == 0
            && image_save(&img) == 0) {
        status = EXIT_OK;
    }
    image_close(&img);
    return status;
}
