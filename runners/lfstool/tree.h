/*
 * tree.h - reading the tree of a mounted image: a bounded depth-first walk
 * over directories and whole-file reads, both through the public lfs API.
 */
#ifndef LFSTOOL_TREE_H
#define LFSTOOL_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

/* Longest path the walk builds; deeper trees are reported as corrupt (a
 * directory cycle in a damaged image would otherwise never end). */
#define TREE_PATH_MAX 4096

/* Called for each entry with its absolute path. Nonzero stops the walk
 * (the visitor reports its own error) and is returned by tree_walk. */
typedef int (*tree_visit)(void *ctx, const char *path, const struct lfs_info *info);

/* Visits the entries under directory `dir` (not `dir` itself) in the order
 * lfs_dir_read gives them, each directory before its contents; only the
 * direct children unless `recursive`. "." and ".." are skipped. Returns 0,
 * the visitor's nonzero value, or -1 after reporting a filesystem error.
 * Bounded: paths up to TREE_PATH_MAX bytes, and no more entries than the
 * image could hold. */
int tree_walk(struct image *img, const char *dir, bool recursive,
        tree_visit visit, void *ctx);

/* Receives a file's contents in order; nonzero stops the read. */
typedef int (*tree_sink)(void *ctx, const void *data, size_t size);

/* Reads the regular file at `path` to its end, checking that exactly its
 * size comes back. Returns 0, the sink's nonzero value, or -1 after
 * reporting a filesystem error. */
int tree_read_file(struct image *img, const char *path, tree_sink sink, void *ctx);

/* Writes `name` to `out` with backslashes and control bytes escaped as
 * \\ and \xHH, so a listing stays one entry per line. */
void tree_print_name(FILE *out, const char *name);

#endif
