/*
 * cmd_put.c - `lfstool put [-p] IMAGE SRC PATH`: copies the host file SRC
 * ("-": stdin) to PATH in an image, in place and atomically
 * (image_write.c). An existing file at PATH is replaced (its custom
 * attributes stay); if PATH is a directory or ends in '/', the file goes
 * into it under SRC's name. -p makes missing parent directories.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "image_write.h"
#include "tree.h"

/* The last component of a host path, trailing slashes ignored. */
static void host_basename(const char *src, const char **name, size_t *len)
{
    size_t end = strlen(src);
    while (end > 1 && src[end - 1] == '/') {
        end--;
    }
    size_t start = end;
    while (start > 0 && src[start - 1] != '/') {
        start--;
    }
    *name = src + start;
    *len = end - start;
}

/* Where the file goes: PATH, or PATH/NAME when PATH is a directory. */
static int target_path(struct image *img, const char *src, const char *given,
        char *out, size_t size)
{
    if (image_path(given, out, size) < 0) {
        return -1;
    }
    size_t len = strlen(out);
    struct lfs_info info;
    bool into_dir = out[len - 1] == '/'
            || (lfs_stat(&img->lfs, out, &info) == 0 && info.type == LFS_TYPE_DIR);
    if (!into_dir) {
        return 0;
    }
    const char *name;
    size_t name_len;
    host_basename(src, &name, &name_len);
    if (strcmp(src, "-") == 0 || name_len == 0 || (name_len == 1 && name[0] == '.')
            || (name_len == 2 && name[0] == '.' && name[1] == '.')) {
        cli_error("%s: %s is a directory: give the file's name in it",
                img->path, out);
        return -1;
    }
    bool slash = out[len - 1] != '/';
    if (len + slash + name_len >= size) {
        cli_error("%s: %s: path too long", img->path, out);
        return -1;
    }
    if (slash) {
        out[len++] = '/';
    }
    memcpy(out + len, name, name_len);
    out[len + name_len] = '\0';
    return 0;
}

/* Makes the parent directories of `path` (absolute). */
static int make_parent_dirs(struct image *img, const char *path)
{
    char parent[TREE_PATH_MAX];
    strcpy(parent, path);
    char *slash = strrchr(parent, '/');
    if (slash == parent) {
        return 0;
    }
    *slash = '\0';
    return image_mkdirs(img, parent, true);
}

/* The file did not fit: say how big it is and how full the image was. */
static void report_nospc(struct image *img, const char *path, const char *size)
{
    lfs_ssize_t used = lfs_fs_size(&img->lfs);
    if (used < 0) {
        image_error(img, path, LFS_ERR_NOSPC);
        return;
    }
    cli_error("%s: %s: no space left on the image for %s: %lu of its %lu "
            "blocks of %lu bytes are in use", img->path, path, size,
            (unsigned long)used, (unsigned long)img->fsinfo.block_count,
            (unsigned long)img->fsinfo.block_size);
}

static int copy_in(struct image *img, int fd, const char *src, const char *path,
        const struct stat *st)
{
    uint64_t copied;
    int err;
    if (image_copy_in(img, fd, src, path, &copied, &err) == 0) {
        return 0;
    }
    if (err == LFS_ERR_NOSPC) {
        char size[64];
        if (S_ISREG(st->st_mode)) {
            snprintf(size, sizeof(size), "%llu bytes",
                    (unsigned long long)st->st_size);
        } else {
            snprintf(size, sizeof(size), "more than %llu bytes",
                    (unsigned long long)copied);
        }
        report_nospc(img, path, size);
    } else if (err) {
        image_error(img, path, err);
    }
    return -1;
}

int cmd_put(const struct cli *cli)
{
    const char *src = cli->args[1];
    bool from_stdin = strcmp(src, "-") == 0;
    int fd = from_stdin ? STDIN_FILENO : open(src, O_RDONLY);
    if (fd < 0) {
        cli_error("%s: %s", src, strerror(errno));
        return EXIT_FAIL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)
            || (!from_stdin && !S_ISREG(st.st_mode))) {
        cli_error("%s: not a regular file (to copy a tree, use pack)", src);
        if (!from_stdin) {
            close(fd);
        }
        return EXIT_FAIL;
    }

    int status = EXIT_FAIL;
    struct image img;
    if (image_open_edit(&img, cli->args[0], &cli->geometry) == 0) {
        char path[TREE_PATH_MAX];
        if (target_path(&img, src, cli->args[2], path, sizeof(path)) == 0
                && (!cli->parents || make_parent_dirs(&img, path) == 0)
                && copy_in(&img, fd, src, path, &st) == 0
                && image_save(&img) == 0) {
            status = EXIT_OK;
        }
        image_close(&img);
    }
    if (!from_stdin) {
        close(fd);
    }
    return status;
}
