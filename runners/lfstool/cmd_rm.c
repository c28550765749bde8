/*
 * cmd_rm.c - `lfstool rm [-r] IMAGE PATH`: removes a file or an empty
 * directory from an image, in place and atomically (image_write.c). With
 * -r a directory goes with everything below it: the walk in tree.c lists
 * the subtree first (each directory before its contents), then the
 * entries are removed in reverse, contents before their directory. The
 * root cannot be removed.
 */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "image_write.h"
#include "tree.h"

struct path_list {
    char **paths;
    size_t count, cap;
};

static int collect(void *ctx, const char *path, const struct lfs_info *info)
{
    (void)info;
    struct path_list *l = ctx;
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **grown = realloc(l->paths, cap * sizeof(*grown));
        if (!grown) {
            cli_error("out of memory");
            return -1;
        }
        l->paths = grown;
        l->cap = cap;
    }
    size_t len = strlen(path) + 1;
    l->paths[l->count] = malloc(len);
    if (!l->paths[l->count]) {
        cli_error("out of memory");
        return -1;
    }
    memcpy(l->paths[l->count++], path, len);
    return 0;
}

static int remove_tree(struct image *img, const char *path)
{
    struct path_list l = {0};
    int result = tree_walk(img, path, true, collect, &l);
    for (size_t i = l.count; i-- > 0; ) {
        if (result == 0) {
            int err = lfs_remove(&img->lfs, l.paths[i]);
            if (err) {
                image_error(img, l.paths[i], err);
                result = -1;
            }
        }
        free(l.paths[i]);
    }
    free(l.paths);
    return result;
}

int cmd_rm(const struct cli *cli)
{
    char path[TREE_PATH_MAX];
    struct image img;
    struct lfs_info info;
    int status = image_open_at(&img, cli, cli->args[1], true, path, sizeof(path), &info);
    if (status != EXIT_OK) {
        return status;
    }
    status = EXIT_FAIL;
    int err;
    if (strspn(path, "/") == strlen(path)) {
        cli_error("%s: /: the root directory cannot be removed", img.path);
    } else if (cli->recursive && info.type == LFS_TYPE_DIR
            && remove_tree(&img, path) < 0) {
        /* reported */
    } else if ((err = lfs_remove(&img.lfs, path)) != 0) {
        if (err == LFS_ERR_NOTEMPTY) {
            cli_error("%s: %s: directory not empty (rm -r removes it with "
                    "its contents)", img.path, path);
        } else {
            image_error(&img, path, err);
        }
    } else if (image_save(&img) == 0) {
        status = EXIT_OK;
    }
    image_close(&img);
    return status;
}
