/*
 * cmd_pack.c - `lfstool pack DIR IMAGE`: builds an image from a host
 * directory, custom attributes from the sidecar `unpack` writes.
 *
 * Two phases. The scan lists every entry below DIR (lstat, no links
 * followed), each directory's names in byte order, parents before
 * children, and refuses what littlefs cannot hold (symbolic links and
 * other special files, names over name_max, paths over TREE_PATH_MAX) before
 * anything is written. The write phase formats an in-memory image and
 * creates the entries in that order, then the attributes. If the tree
 * does not fit, trial packs into devices of 2, 4, 8... times the blocks
 * measure what it needs, for the error message. The host directory
 * recursion is bounded by TREE_PATH_MAX (each level adds at least 2 bytes).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "image_write.h"
#include "sidecar.h"
#include "tree.h"

/* Trial packs stop at this many doublings of the block count. */
#define MAX_TRIALS 16

struct pack_entry {
    char *path;                 /* image path, "/a/b" */
    bool dir;
    uint64_t size;
};

struct packer {
    const char *dir;            /* the host directory, as given */
    size_t dir_len;             /* without trailing slashes */
    uint32_t name_max;
    struct pack_entry *entries;
    size_t count, cap;
    unsigned long files, dirs;
    uint64_t bytes;
    char host[TREE_PATH_MAX * 2];
    struct sidecar *sidecar;    /* NULL: no attributes */
};

/* ---- scan ------------------------------------------------------------------ */

static const char *special_kind(mode_t mode)
{
    return S_ISLNK(mode) ? "a symbolic link"
         : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device"
         : S_ISFIFO(mode) ? "a FIFO"
         : S_ISSOCK(mode) ? "a socket" : "not a regular file or directory";
}

static int add_entry(struct packer *pk, const char *path, bool dir, uint64_t size)
{
    if (pk->count == pk->cap) {
        size_t cap = pk->cap ? 2 * pk->cap : 256;
        struct pack_entry *grown = realloc(pk->entries, cap * sizeof(*grown));
        if (!grown) {
            cli_error("out of memory");
            return -1;
        }
        pk->entries = grown;
        pk->cap = cap;
    }
    char *copy = malloc(strlen(path) + 1);
    if (!copy) {
        cli_error("out of memory");
        return -1;
    }
    strcpy(copy, path);
    pk->entries[pk->count++] = (struct pack_entry){copy, dir, size};
    if (dir) {
        pk->dirs++;
    } else {
        pk->files++;
        pk->bytes += size;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the names in the host directory pk->host (sorted; "." and ".."
 * left out) into a malloc'd array. Returns the count or -1 (reported). */
static long read_names(struct packer *pk, char ***out)
{
    DIR *d = opendir(pk->host);
    if (!d) {
        cli_error("%s: %s", pk->host, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    long result = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **grown = realloc(names, cap * sizeof(*grown));
            if (!grown) {
                result = -1;
                break;
            }
            names = grown;
        }
        names[n] = malloc(strlen(e->d_name) + 1);
        if (!names[n]) {
            result = -1;
            break;
        }
        strcpy(names[n++], e->d_name);
    }
    if (result == 0 && errno != 0) {
        cli_error("%s: %s", pk->host, strerror(errno));
    } else if (result < 0) {
        cli_error("out of memory");
    }
    closedir(d);
    if (result < 0) {
        while (n > 0) {
            free(names[--n]);
        }
        free(names);
        return -1;
    }
    if (n > 0) {
        qsort(names, n, sizeof(*names), compare_names);
    }
    *out = names;
    return (long)n;
}

/* Scans the host directory whose image path is path[0..len). */
static int scan_dir(struct packer *pk, char *path, size_t len)
{
    size_t host_len = pk->dir_len + len;
    memcpy(pk->host + pk->dir_len, path, len);
    pk->host[host_len] = '\0';
    char **names;
    long n = read_names(pk, &names);
    if (n < 0) {
        return -1;
    }
    int result = 0;
    for (long i = 0; i < n; i++) {
        const char *name = names[i];
        size_t name_len = strlen(name);
        path[len] = '\0';
        if (result != 0) {
            /* only freeing */
        } else if (len + 1 + name_len >= TREE_PATH_MAX) {
            cli_error("%s: %s/%s: path longer than %d bytes", pk->dir, path,
                    name, TREE_PATH_MAX - 1);
            result = -1;
        } else if (name_len > pk->name_max) {
            cli_error("%s: %s/%s: name too long (%zu bytes; name max is %lu)",
                    pk->dir, path, name, name_len, (unsigned long)pk->name_max);
            result = -1;
        } else {
            path[len] = '/';
            memcpy(path + len + 1, name, name_len + 1);
            size_t sub = len + 1 + name_len;
            memcpy(pk->host + pk->dir_len, path, sub + 1);
            struct stat st;
            if (lstat(pk->host, &st) != 0) {
                cli_error("%s: %s", pk->host, strerror(errno));
                result = -1;
            } else if (S_ISDIR(st.st_mode)) {
                result = add_entry(pk, path, true, 0);
                if (result == 0) {
                    result = scan_dir(pk, path, sub);
                }
            } else if (S_ISREG(st.st_mode)) {
                result = add_entry(pk, path, false, (uint64_t)st.st_size);
            } else {
                cli_error("%s: %s is %s: littlefs has only files and "
                        "directories; remove it from the tree to pack it",
                        pk->dir, path, special_kind(st.st_mode));
                result = -1;
            }
        }
        free(names[i]);
    }
    free(names);
    path[len] = '\0';
    return result;
}

/* ---- write ----------------------------------------------------------------- */

/* Sets the sidecar's attributes for `path`, if it has any. */
static int apply_attrs(struct packer *pk, struct image *img, const char *path,
        bool quiet, int *lfs_err)
{
    struct sidecar_entry *e = pk->sidecar ? sidecar_find(pk->sidecar, path) : NULL;
    if (!e) {
        return 0;
    }
    e->used = true;
    for (size_t i = 0; i < e->attr_count; i++) {
        const struct sidecar_attr *a = &e->attrs[i];
        if (a->size > img->fsinfo.attr_max) {
            if (!quiet) {
                cli_error("%s: attribute %02x of %s is %zu bytes, more than the "
                        "image's attr max of %lu", pk->dir, a->type, path, a->size,
                        (unsigned long)img->fsinfo.attr_max);
            }
            return -1;
        }
        int err = lfs_setattr(&img->lfs, path, a->type, a->data, (lfs_size_t)a->size);
        if (err) {
            *lfs_err = err;
            return -1;
        }
    }
    return 0;
}

static int write_file(struct packer *pk, struct image *img, const char *path,
        int *lfs_err)
{
    memcpy(pk->host + pk->dir_len, path, strlen(path) + 1);
    int fd = open(pk->host, O_RDONLY);
    if (fd < 0) {
        cli_error("%s: %s", pk->host, strerror(errno));
        return -1;
    }
    uint64_t copied;
    int result = image_copy_in(img, fd, pk->host, path, &copied, lfs_err);
    close(fd);
    return result;
}

/* Writes the scanned tree into a mounted, empty image. Returns 0, or -1
 * with the core's error in *lfs_err (reported unless quiet or NOSPC) or a
 * reported host error (*lfs_err 0). */
static int pack_into(struct packer *pk, struct image *img, bool quiet, int *lfs_err)
{
    *lfs_err = 0;
    const char *failed = "/";
    int result = apply_attrs(pk, img, "/", quiet, lfs_err);
    for (size_t i = 0; i < pk->count && result == 0; i++) {
        const struct pack_entry *e = &pk->entries[i];
        failed = e->path;
        if (e->dir) {
            *lfs_err = lfs_mkdir(&img->lfs, e->path);
            result = *lfs_err ? -1 : 0;
        } else {
            result = write_file(pk, img, e->path, lfs_err);
        }
        if (result == 0) {
            result = apply_attrs(pk, img, e->path, quiet, lfs_err);
        }
    }
    if (result != 0 && *lfs_err && *lfs_err != LFS_ERR_NOSPC && !quiet) {
        image_error(img, failed, *lfs_err);
    }
    return result;
}

/* The tree did not fit: find what it needs by packing into larger
 * devices, and say so. */
static void report_too_big(struct packer *pk, const struct image *img,
        const struct format_opts *opts)
{
    uint32_t count = img->fsinfo.block_count, bs = img->fsinfo.block_size;
    long needed = -1;
    struct format_opts trial = *opts;
    for (int i = 0; i < MAX_TRIALS && trial.geometry.block_count <= UINT32_MAX / 2; i++) {
        trial.geometry.block_count *= 2;
        struct image big;
        if (image_create(&big, img->path, &trial) < 0) {
            break;
        }
        int err;
        int res = pack_into(pk, &big, true, &err);
        if (res == 0) {
            needed = (long)lfs_fs_size(&big.lfs);
        }
        image_close(&big);
        if (res == 0 || err != LFS_ERR_NOSPC) {
            break;
        }
    }
    char need[160] = "";
    if (needed > 0) {
        snprintf(need, sizeof(need), "; a trial pack into a larger device used "
                "%ld blocks (%llu bytes), so give --block-count %ld or more",
                needed, (unsigned long long)needed * bs, needed);
    }
    cli_error("%s: no space: %s (%lu files, %llu bytes, %lu directories) does "
            "not fit in %lu blocks of %lu bytes (%llu bytes)%s", img->path,
            pk->dir, pk->files, (unsigned long long)pk->bytes, pk->dirs,
            (unsigned long)count, (unsigned long)bs,
            (unsigned long long)count * bs, need);
}

/* Warns of sidecar entries naming paths that are not in the tree. */
static void warn_unused(const struct packer *pk)
{
    if (!pk->sidecar) {
        return;
    }
    for (size_t i = 0; i < pk->sidecar->count; i++) {
        const struct sidecar_entry *e = &pk->sidecar->entries[i];
        if (!e->used && e->attr_count > 0) {
            fprintf(stderr, "lfstool: warning: the sidecar gives attributes for "
                    "%s, which is not in %s: not packed\n", e->path, pk->dir);
        }
    }
}

/* ---- the command ------------------------------------------------------------ */

/* Command line over sidecar over defaults. */
static int choose_format(const struct cli *cli, const struct sidecar *sc,
        struct format_opts *opts)
{
    const struct geometry_opts *g = &cli->geometry;
    const struct geometry_opts *s = sc ? &sc->geometry : &(struct geometry_opts){0};
    opts->geometry.block_size = g->block_size ? g->block_size : s->block_size;
    opts->geometry.block_count = g->block_count ? g->block_count : s->block_count;
    opts->geometry.read_size = g->read_size ? g->read_size : s->read_size;
    opts->geometry.prog_size = g->prog_size ? g->prog_size : s->prog_size;
    opts->disk_version = cli->disk_version ? cli->disk_version
            : sc && sc->disk_version ? sc->disk_version : 0;
    opts->name_max = cli->name_max;
    opts->file_max = cli->file_max;
    opts->attr_max = cli->attr_max;
    if (!opts->geometry.block_size || !opts->geometry.block_count) {
        cli_error("pack: give --block-size and --block-count (no sidecar "
                "geometry to take them from)");
        return -1;
    }
    return 0;
}

/* Loads the sidecar: --manifest FILE (must exist), else DIR.manifest.json
 * if it exists. *loaded says whether there was one. */
static int load_sidecar(const struct cli *cli, struct sidecar *sc, bool *loaded,
        char **name)
{
    *loaded = false;
    *name = NULL;
    if (cli->manifest) {
        *name = strdup(cli->manifest);
    } else {
        *name = sidecar_default_path(cli->args[0]);
        struct stat st;
        if (*name && stat(*name, &st) != 0 && errno == ENOENT) {
            free(*name);
            *name = NULL;
            return 0;
        }
    }
    if (!*name) {
        return 0;
    }
    if (sidecar_load(sc, *name) < 0) {
        return -1;
    }
    *loaded = true;
    return 0;
}

int cmd_pack(const struct cli *cli)
{
    struct packer pk = {.dir = cli->args[0]};
    pk.dir_len = strlen(pk.dir);
    while (pk.dir_len > 1 && pk.dir[pk.dir_len - 1] == '/') {
        pk.dir_len--;
    }
    if (pk.dir_len >= TREE_PATH_MAX) {
        cli_error("%s: path too long", pk.dir);
        return EXIT_FAIL;
    }
    memcpy(pk.host, pk.dir, pk.dir_len);
    pk.host[pk.dir_len] = '\0';
    if (pk.dir_len == 1 && pk.dir[0] == '/') {
        pk.dir_len = 0;         /* packing "/": no doubled slash */
    }
    struct stat st;
    if (stat(pk.host, &st) != 0) {
        cli_error("%s: %s", pk.dir, strerror(errno));
        return EXIT_FAIL;
    }
    if (!S_ISDIR(st.st_mode)) {
        cli_error("%s: not a directory", pk.dir);
        return EXIT_FAIL;
    }

    struct sidecar sc;
    bool have_sidecar;
    char *sidecar_name;
    struct format_opts opts;
    if (load_sidecar(cli, &sc, &have_sidecar, &sidecar_name) < 0) {
        free(sidecar_name);
        return EXIT_FAIL;
    }
    pk.sidecar = have_sidecar ? &sc : NULL;
    int status = EXIT_FAIL;
    if (choose_format(cli, pk.sidecar, &opts) < 0) {
        status = EXIT_USAGE;
        goto done;
    }
    pk.name_max = opts.name_max ? opts.name_max : LFS_NAME_MAX;

    char path[TREE_PATH_MAX] = "";
    if (scan_dir(&pk, path, 0) < 0) {
        goto done;
    }
    struct image img;
    if (image_create(&img, cli->args[1], &opts) < 0) {
        goto done;
    }
    int err;
    if (pack_into(&pk, &img, false, &err) < 0) {
        if (err == LFS_ERR_NOSPC) {
            report_too_big(&pk, &img, &opts);
        }
    } else if (image_save(&img) == 0) {
        warn_unused(&pk);
        lfs_ssize_t used = lfs_fs_size(&img.lfs);
        printf("packed %lu files (%llu bytes) and %lu directories from %s into "
                "%s: %ld of %lu blocks used, disk version %u.%u%s%s\n",
                pk.files, (unsigned long long)pk.bytes, pk.dirs, pk.dir, img.path,
                (long)used, (unsigned long)img.fsinfo.block_count,
                (unsigned)(img.fsinfo.disk_version >> 16),
                (unsigned)(img.fsinfo.disk_version & 0xffff),
                have_sidecar ? ", attributes from " : "",
                have_sidecar ? sidecar_name : "");
        status = EXIT_OK;
    }
    image_close(&img);

done:
    for (size_t i = 0; i < pk.count; i++) {
        free(pk.entries[i].path);
    }
    free(pk.entries);
    if (have_sidecar) {
        sidecar_free(&sc);
    }
    free(sidecar_name);
    return status;
}
