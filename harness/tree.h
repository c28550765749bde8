/*
 * tree.h - the durable state of a device: what a fresh mount shows.
 *
 * A tree is every directory and file reachable from the root (paths,
 * types, sizes, a hash of each file's contents) with their custom
 * attributes and the root's, or the error that stopped the mount or the
 * walk. Two trees compare by digest; `shape` leaves file contents out, so
 * a state whose only difference is file data (no checksum in littlefs)
 * can be told apart from a structural one.
 *
 * Bit flips roll metadata back per pair, so a crashed state is also judged
 * directory by directory. A directory is identified by its first metadata
 * pair (it keeps it through renames); `rel` is an entry's metadata within
 * its parent (the parent's pair, name, type, size, attributes), and a
 * directory's `listing` digests its pair and its children's `rel` (the
 * root's attributes too), a file's its `rel` and contents.
 */
#ifndef TORTURE_TREE_H
#define TORTURE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lfs.h"

struct torture_tree_attr {
    uint8_t type;
    uint32_t size;
    uint64_t hash;
};

struct torture_tree_entry {
    char *path;                 /* "/" for the root (attributes only) */
    uint8_t type;               /* LFS_TYPE_REG or LFS_TYPE_DIR */
    uint32_t size;
    uint64_t hash;              /* contents of a file */
    uint64_t meta;              /* path, type, size, attributes */
    lfs_block_t head[2];        /* a directory's first pair, lower block first */
    uint64_t rel;               /* metadata within its parent, see above */
    uint64_t listing;           /* a directory: its listing; a file: rel + hash */
    size_t nattrs;
    struct torture_tree_attr *attrs;
};

struct torture_tree {
    int mount_err;              /* 0: mounted; else the mount's error */
    int walk_err;               /* 0, or the first error of the walk */
    char walk_where[128];       /* the path it happened at */
    size_t count, cap;
    struct torture_tree_entry *entries;     /* sorted by path */
    uint64_t digest, shape;
};

/* Mounts cfg's device in a fresh instance (own buffers), walks it and
 * unmounts. `attr_types` is a 256-bit map of the attribute types to look
 * for. Fills t (free with torture_tree_free); -1 only when out of memory. */
int torture_tree_capture(struct torture_tree *t, const struct lfs_config *cfg,
        const uint8_t *attr_types);
/* The same after lfs_fs_mkconsistent in that mount: the state as a first
 * write settles it (a failing mkconsistent is the walk's error). */
int torture_tree_capture_settled(struct torture_tree *t, const struct lfs_config *cfg,
        const uint8_t *attr_types);
/* The same for the given paths only, each stat'ed (no contents, no
 * attributes): a cheap look at a few files. */
int torture_tree_capture_paths(struct torture_tree *t, const struct lfs_config *cfg,
        const char *const *paths, size_t npaths);
void torture_tree_free(struct torture_tree *t);
/* Moves src into dst (freeing dst's previous contents). */
void torture_tree_move(struct torture_tree *dst, struct torture_tree *src);

/* One line describing the state: "no filesystem (mount: -84)", "3 entries". */
void torture_tree_summary(const struct torture_tree *t, char *buf, size_t len);
/* Appends to buf what differs from `want` to `got`: entries missing,
 * extra, or different in type, size, contents or attributes. Returns the
 * number of differences. */
size_t torture_tree_diff(const struct torture_tree *want, const struct torture_tree *got,
        char *buf, size_t len);
/* The entry at `path`, or NULL. */
const struct torture_tree_entry *torture_tree_find(const struct torture_tree *t,
        const char *path);

#endif
