/*
 * kv_walk.c - an iterative depth-first walk over a dictionary's
 * descendants, with a fixed state per level (no recursion, no allocation).
 * Each level keeps its directory open while the walk is below it, so a
 * directory is read once from start to end (littlefs's lfs_dir_seek re-reads
 * from the start, which made a walk O(n^2) in the width of a directory).
 * The path of the current entry is kept in kv->walk.
 *
 * Ordered walks visit children in byte order of their names. A level first
 * checks in one pass that its directory lists them in that order (littlefs
 * keeps them sorted), rewinds and reads on; otherwise it selects, per
 * child, the least name above the previous one (a pass per child).
 * Assumes the tree does not change during a walk; values may be opened.
 */
#include "kv_internal.h"

#include <string.h>

/* One pass over an open directory: are its visible names in order? */
static int dir_sorted(kv_t *kv, lfs_dir_t *dir, int *sorted) {
    char prev[LFS_NAME_MAX + 1] = "";
    int have = 0;
    *sorted = 1;
    for (;;) {
        int res = lfs_dir_read(&kv->lfs, dir, &kv->info);
        if (res <= 0) {
            if (res < 0) {
                return res;
            }
            break;
        }
        if (kv_name_hidden(kv->info.name)) {
            continue;
        }
        if (have && strcmp(prev, kv->info.name) >= 0) {
            *sorted = 0;
            break;
        }
        strcpy(prev, kv->info.name);
        have = 1;
    }
    return lfs_dir_rewind(&kv->lfs, dir);
}

/* The next child of an open level in kv->info: 1 found, 0 none, <0 error.
 * last: the previous child's name, or NULL before the first. */
static int next_child(kv_t *kv, struct kv_walk_level *l, const char *last) {
    if (!l->by_select) {
        for (;;) {
            int res = lfs_dir_read(&kv->lfs, &l->dir, &kv->info);
            if (res <= 0 || !kv_name_hidden(kv->info.name)) {
                return res;
            }
        }
    }
    int err = lfs_dir_rewind(&kv->lfs, &l->dir);
    if (err) {
        return err;
    }
    int found = 0;
    struct lfs_info cand;
    for (;;) {
        int res = lfs_dir_read(&kv->lfs, &l->dir, &cand);
        if (res <= 0) {
            return res < 0 ? res : found;
        }
        if (kv_name_hidden(cand.name)
                || (last && strcmp(cand.name, last) <= 0)
                || (found && strcmp(cand.name, kv->info.name) >= 0)) {
            continue;
        }
        kv->info = cand;
        found = 1;
    }
}

/* Opens the level's directory (kv->walk holds its path). */
static int level_open(struct kv_walk *w, struct kv_walk_level *l) {
    kv_t *kv = w->kv;
    int err = lfs_dir_open(&kv->lfs, &l->dir, kv_key_lfs(kv->walk));
    if (err) {
        return err;
    }
    l->open = 1;
    int sorted = 1;
    if (w->ordered && !kv->cfg->unordered_dirs) {
        err = dir_sorted(kv, &l->dir, &sorted);
    }
    l->by_select = w->ordered && (kv->cfg->unordered_dirs || !sorted);
    return err;
}

int kv_walk_start(kv_t *kv, struct kv_walk *w, const char *norm, int ordered,
        int shallow) {
    size_t n = strlen(norm);
    w->kv = kv;
    w->depth = 0;
    w->level[0].open = 0;
    if (n > KV_KEY_MAX) {
        return LFS_ERR_NAMETOOLONG;
    }
    memmove(kv->walk, norm, n + 1);
    w->ordered = ordered;
    w->shallow = shallow;
    w->level[0].dir_len = n;
    w->level[0].open = 0;
    w->level[0].started = 0;
    return 0;
}

int kv_walk_stop(struct kv_walk *w) {
    int err = 0;
    for (int d = w->depth; d >= 0; d--) {
        struct kv_walk_level *l = &w->level[d];
        if (l->open) {
            int cerr = lfs_dir_close(&w->kv->lfs, &l->dir);
            err = err ? err : cerr;
            l->open = 0;
        }
    }
    return err;
}

/* Closes every level on an error or at the end. */
static int finish(struct kv_walk *w, int res) {
    int err = kv_walk_stop(w);
    return res < 0 ? res : err ? err : res;
}

int kv_walk_next(struct kv_walk *w) {
    kv_t *kv = w->kv;
    struct kv_walk_level *l = &w->level[w->depth];
    size_t dir_len = l->dir_len;
    size_t sep = dir_len ? 1 : 0;
    char last[LFS_NAME_MAX + 1];
    if (l->started && l->by_select) {
        strcpy(last, kv->walk + dir_len + sep);
    }
    kv->walk[dir_len] = '\0';
    if (!l->open) {
        int err = level_open(w, l);
        if (err) {
            return finish(w, err);
        }
    }
    int res = next_child(kv, l, l->started && l->by_select ? last : NULL);
    if (res < 0) {
        return finish(w, res);
    }
    if (res == 0) {
        int err = lfs_dir_close(&kv->lfs, &l->dir);
        l->open = 0;
        if (err) {
            return finish(w, err);
        }
        if (w->depth == 0) {
            return KV_WALK_END;
        }
        w->depth--;
        return KV_WALK_LEAVE;
    }
    size_t name_len = strlen(kv->info.name);
    size_t child_len = dir_len + sep + name_len;
    if (child_len > KV_KEY_MAX) {
        return finish(w, LFS_ERR_NAMETOOLONG);
    }
    if (sep) {
        kv->walk[dir_len] = '/';
    }
    memcpy(kv->walk + dir_len + sep, kv->info.name, name_len + 1);
    l->started = 1;
    if (kv->info.type != LFS_TYPE_DIR) {
        return KV_WALK_VALUE;
    }
    if (w->shallow) {
        return KV_WALK_ENTER;
    }
    if (w->depth >= KV_DEPTH_MAX) {
        return finish(w, LFS_ERR_NAMETOOLONG);
    }
    w->depth++;
    struct kv_walk_level *c = &w->level[w->depth];
    c->dir_len = child_len;
    c->open = 0;
    c->started = 0;
    return KV_WALK_ENTER;
}
