/*
 * kv_internal.h - what the files of the key-value view share: key
 * parsing, entry lookup, the timestamp source and the tree walk.
 */
#ifndef KV_INTERNAL_H
#define KV_INTERNAL_H

#include <stddef.h>
#include "lfs_kv.h"

/* Normalizes key into out (KV_KEY_MAX + 1 bytes): components joined by a
 * single '/', no leading or trailing '/'; the root is "". LFS_ERR_INVAL for
 * a NULL key or a "." / ".." / KV_TEMP_NAME component, LFS_ERR_NAMETOOLONG
 * for a component over name_max, a key over KV_KEY_MAX bytes or
 * KV_DEPTH_MAX components. */
int kv_key_parse(const kv_t *kv, const char *key, char *out);
/* The path littlefs is given for a normalized key ("/" for the root). */
const char *kv_key_lfs(const char *norm);
/* Offset of the last component of a normalized key (0 if one component). */
size_t kv_key_base(const char *norm);
/* 1 if b is a (component-wise) strict descendant of a. */
int kv_key_under(const char *a, const char *b);
/* 1 if a directory entry name is one of kv's own ("." "..", the temp). */
int kv_name_hidden(const char *name);

/* The kind of a normalized key: KV_NONE when it or a parent is missing or
 * a value; the size of a value in *size (may be NULL). */
int kv_kind_of(kv_t *kv, const char *norm, enum kv_kind *kind, lfs_size_t *size);
/* Creates the missing parents of norm; LFS_ERR_NOTDIR if one is a value. */
int kv_make_parents(kv_t *kv, const char *norm);
/* The current time from the configured clock. */
int kv_now(kv_t *kv, struct kv_time *t);
/* A value's timestamp, or the epoch if it has none. */
int kv_value_time(kv_t *kv, const char *path, struct kv_time *t);
/* Opens the file at path with flags; a non-NULL t is written as its
 * timestamp in the commit of the file's sync. One file at a time. */
int kv_file_open(kv_t *kv, lfs_file_t *f, const char *path, int flags,
        const struct kv_time *t);
/* Removes a leftover temp in the directory of norm (if any). */
int kv_drop_temp(kv_t *kv, const char *norm);

/* ---- iterative walk of a dictionary's descendants ------------------------ */

enum kv_walk_event {
    KV_WALK_END = 0,    /* no more entries */
    KV_WALK_VALUE,      /* kv->walk is the value's path, kv->info its entry */
    KV_WALK_ENTER,      /* kv->walk is the dictionary entered */
    KV_WALK_LEAVE,      /* kv->walk is the dictionary left */
};

struct kv_walk_level {
    size_t dir_len;     /* length of this level's directory path */
    lfs_dir_t dir;      /* open while the walk is at or below this level */
    uint8_t open;
    uint8_t started;    /* a child of this level has been visited */
    uint8_t by_select;  /* read by selection: the names are out of order */
};

/* About KV_DEPTH_MAX + 1 open directory handles: a few KiB, on the caller's
 * stack. */
struct kv_walk {
    kv_t *kv;
    int depth;          /* levels below the walked dictionary */
    int ordered;        /* visit children in name order */
    int shallow;        /* report child dictionaries without entering */
    struct kv_walk_level level[KV_DEPTH_MAX + 1];
};

/* Starts a walk of the dictionary norm (must exist). A shallow walk
 * reports each child dictionary as KV_WALK_ENTER but does not descend. */
int kv_walk_start(kv_t *kv, struct kv_walk *w, const char *norm, int ordered,
        int shallow);
/* The next event (>= 0) or a negative error. Values are reported with
 * kv->walk = their path; the caller may open them but must not change the
 * tree. At KV_WALK_END or an error every handle is closed already. */
int kv_walk_next(struct kv_walk *w);
/* Closes the walk's open directories (a walk left before its end); safe to
 * call on a finished walk. */
int kv_walk_stop(struct kv_walk *w);

#endif
