/*
 * cmd_unpack.c - `lfstool unpack IMAGE DIR`: recreates the image's tree
 * under DIR (which must be new or empty) and writes the image's manifest,
 * custom attributes included, as a sidecar beside it (DIR.manifest.json
 * unless --manifest says otherwise). Names come from the walk in tree.c,
 * which refuses '/', "." and "..", so nothing lands outside DIR; files are
 * created with O_EXCL, so nothing existing is followed or overwritten.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "host_dir.h"
#include "image.h"
#include "manifest.h"
#include "sidecar.h"
#include "tree.h"

struct unpacker {
    struct image *img;
    char *host;                 /* DIR + path in the image */
    size_t dir_len;
    int fd;                     /* the file being written */
    unsigned long files, dirs;
};

static int write_fd(void *ctx, const void *data, size_t size)
{
    struct unpacker *u = ctx;
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(u->fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            cli_error("%s: %s", u->host, n < 0 ? strerror(errno) : "short write");
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int unpack_entry(void *ctx, const char *path, const struct lfs_info *info)
{
    struct unpacker *u = ctx;
    strcpy(u->host + u->dir_len, path);
    if (info->type == LFS_TYPE_DIR) {
        if (mkdir(u->host, 0777) != 0) {
            cli_error("%s: %s", u->host, strerror(errno));
            return -1;
        }
        u->dirs++;
        return 0;
    }
    u->fd = open(u->host, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (u->fd < 0) {
        cli_error("%s: %s", u->host, strerror(errno));
        return -1;
    }
    int err = tree_read_file(u->img, path, write_fd, u);
    if (close(u->fd) != 0 && err == 0) {
        cli_error("%s: %s", u->host, strerror(errno));
        err = -1;
    }
    u->files++;
    return err;
}

int cmd_unpack(const struct cli *cli)
{
    const char *dir = cli->args[1];
    char *sidecar = NULL;
    if (!cli->manifest) {
        sidecar = sidecar_default_path(dir);
        if (!sidecar) {
            cli_error("unpack: cannot name the manifest sidecar after '%s': "
                    "give --manifest FILE", dir);
            return EXIT_USAGE;
        }
    }
    const char *manifest = cli->manifest ? cli->manifest : sidecar;

    struct image img;
    if (image_open(&img, cli->args[0], &cli->geometry) < 0) {
        free(sidecar);
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    struct unpacker u = {.img = &img, .dir_len = strlen(dir)};
    while (u.dir_len > 1 && dir[u.dir_len - 1] == '/') {
        u.dir_len--;
    }
    u.host = malloc(u.dir_len + TREE_PATH_MAX + 1);
    if (!u.host) {
        cli_error("out of memory");
    } else if (host_dir_make_empty(dir) == 0) {
        memcpy(u.host, dir, u.dir_len);
        if (u.dir_len == 1 && dir[0] == '/') {
            u.dir_len = 0;      /* unpacking into "/": no doubled slash */
        }
        if (tree_walk(&img, "/", true, unpack_entry, &u) == 0
                && manifest_save(&img, manifest) == 0) {
            printf("unpacked %lu files and %lu directories into %s; "
                    "manifest with attributes in %s\n", u.files, u.dirs, dir,
                    manifest);
            status = EXIT_OK;
        }
    }
    free(u.host);
    free(sidecar);
    image_close(&img);
    return status;
}
