/*
 * tree.c - walks a mounted image's directories with an explicit stack and
 * reads whole files, all through the public lfs API.
 *
 * Assumes nothing about the image being sane: names are checked (no '/',
 * not empty, not "." or ".." past the first two entries), the depth is
 * bounded by TREE_PATH_MAX, and the total number of entries by what the
 * image's bytes could possibly describe, so a damaged image ends in an
 * error, not a hang.
 */
#define _POSIX_C_SOURCE 200809L

#include "tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH (TREE_PATH_MAX / 2)   /* each level adds at least "/x" */
#define READ_CHUNK 4096
/* A directory entry takes at least a name tag and a struct tag on disk. */
#define MIN_ENTRY_BYTES 8

struct level {
    lfs_dir_t *dir;             /* heap: the core links open dirs together */
    size_t path_len;            /* length of this directory's path */
    uint32_t index;             /* entries read so far, "." and ".." included */
};

static int check_name(struct image *img, const char *parent,
        const struct lfs_info *info, uint32_t index)
{
    size_t len = strnlen(info->name, sizeof(info->name));
    const char *why = NULL;
    if (len == sizeof(info->name)) {
        why = "an unterminated name";
    } else if (len == 0) {
        why = "an empty name";
    } else if (memchr(info->name, '/', len)) {
        why = "a name containing '/'";
    } else if (index >= 2 && (strcmp(info->name, ".") == 0
            || strcmp(info->name, "..") == 0)) {
        why = "a second \".\" or \"..\"";
    } else if (info->type != LFS_TYPE_REG && info->type != LFS_TYPE_DIR) {
        why = "an entry that is neither a file nor a directory";
    }
    if (why) {
        cli_error("%s: %s: corrupt directory: %s", img->path, parent, why);
        return -1;
    }
    return 0;
}

static int push(struct image *img, struct level *stack, int *depth,
        const char *path, size_t path_len)
{
    if (*depth >= MAX_DEPTH) {
        cli_error("%s: %s: directories nested too deep (a cycle in a corrupt "
                "image?)", img->path, path);
        return -1;
    }
    lfs_dir_t *dir = malloc(sizeof(*dir));
    if (!dir) {
        cli_error("%s: out of memory", img->path);
        return -1;
    }
    int err = lfs_dir_open(&img->lfs, dir, path);
    if (err) {
        free(dir);
        image_error(img, path, err);
        return -1;
    }
    stack[*depth] = (struct level){dir, path_len, 0};
    (*depth)++;
    return 0;
}

static void pop(struct image *img, struct level *stack, int *depth)
{
    (*depth)--;
    lfs_dir_close(&img->lfs, stack[*depth].dir);
    free(stack[*depth].dir);
}

int tree_walk(struct image *img, const char *dir, bool recursive,
        tree_visit visit, void *ctx)
{
    static char path[TREE_PATH_MAX];
    struct level *stack = malloc(MAX_DEPTH * sizeof(*stack));
    if (!stack) {
        cli_error("%s: out of memory", img->path);
        return -1;
    }
    uint64_t max_entries = (uint64_t)img->cfg.block_size * img->cfg.block_count
            / MIN_ENTRY_BYTES;
    uint64_t entries = 0;
    int depth = 0;
    int result = 0;

    size_t len = strlen(dir);
    if (len >= sizeof(path)) {
        cli_error("%s: path too long", img->path);
        free(stack);
        return -1;
    }
    memcpy(path, dir, len + 1);
    if (push(img, stack, &depth, path, len) < 0) {
        free(stack);
        return -1;
    }

    while (depth > 0 && result == 0) {
        struct level *top = &stack[depth - 1];
        struct lfs_info info;
        path[top->path_len] = '\0';
        int res = lfs_dir_read(&img->lfs, top->dir, &info);
        if (res < 0) {
            image_error(img, path, res);
            result = -1;
            break;
        }
        if (res == 0) {
            pop(img, stack, &depth);
            continue;
        }
        uint32_t index = top->index++;
        if (index < 2 && (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)) {
            continue;
        }
        if (check_name(img, path, &info, index) < 0) {
            result = -1;
            break;
        }
        if (++entries > max_entries) {
            cli_error("%s: more entries than the image can hold (a directory "
                    "cycle in a corrupt image?)", img->path);
            result = -1;
            break;
        }

        /* path of the entry: parent + "/" + name, "/" not doubled */
        size_t base = top->path_len;
        bool slash = base == 0 || path[base - 1] != '/';
        size_t name_len = strlen(info.name);
        if (base + slash + name_len >= sizeof(path)) {
            cli_error("%s: %s: path longer than %d bytes (a cycle in a corrupt "
                    "image?)", img->path, path, TREE_PATH_MAX - 1);
            result = -1;
            break;
        }
        if (slash) {
            path[base] = '/';
        }
        memcpy(path + base + slash, info.name, name_len + 1);

        result = visit(ctx, path, &info);
        if (result == 0 && recursive && info.type == LFS_TYPE_DIR) {
            if (push(img, stack, &depth, path, base + slash + name_len) < 0) {
                result = -1;
            }
        }
    }

    while (depth > 0) {
        pop(img, stack, &depth);
    }
    free(stack);
    return result;
}

int tree_read_file(struct image *img, const char *path, tree_sink sink, void *ctx)
{
    static uint8_t buffer[READ_CHUNK];
    lfs_file_t file;
    int err = lfs_file_open(&img->lfs, &file, path, LFS_O_RDONLY);
    if (err) {
        image_error(img, path, err);
        return -1;
    }
    int result = 0;
    lfs_soff_t size = lfs_file_size(&img->lfs, &file);
    if (size < 0) {
        image_error(img, path, size);
        result = -1;
    }
    uint64_t total = 0;
    while (result == 0) {
        lfs_ssize_t n = lfs_file_read(&img->lfs, &file, buffer, sizeof(buffer));
        if (n < 0) {
            image_error(img, path, n);
            result = -1;
        } else if (n == 0) {
            break;
        } else if ((size_t)n > sizeof(buffer) || total + (uint64_t)n > (uint64_t)size) {
            cli_error("%s: %s: corrupt file: read more than its size of %ld "
                    "bytes", img->path, path, (long)size);
            result = -1;
        } else {
            total += (uint64_t)n;
            result = sink(ctx, buffer, (size_t)n);
        }
    }
    if (result == 0 && total != (uint64_t)size) {
        cli_error("%s: %s: corrupt file: read %llu of its %ld bytes", img->path,
                path, (unsigned long long)total, (long)size);
        result = -1;
    }
    lfs_file_close(&img->lfs, &file);
    return result;
}

void tree_print_name(FILE *out, const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '\\') {
            fputs("\\\\", out);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(out, "\\x%02x", *p);
        } else {
            fputc(*p, out);
        }
    }
}
