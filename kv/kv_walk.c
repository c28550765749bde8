/*
 * kv_walk.c - an iterative depth-first walk over a dictionary's
 * descendants, with a fixed state per level (no recursion, no allocation).
 * The path of the current entry is kept in kv->walk; the parent's last
 * child is the tail of that path, which is how a level resumes.
 *
 * Ordered walks visit children in byte order of their names. A level first
 * checks in one pass that its directory lists them in that order (littlefs
 * keeps them sorted), then reads on from the saved lfs_dir_tell offset;
 * otherwise it selects, per child, the least name above the previous one.
 * Assumes the tree does not change during a walk.
 */
#include "kv_internal.h"

#include <string.h>

static int dir_sorted(kv_t *kv, const char *path, int *sorted) {
    lfs_dir_t dir;
    int err = lfs_dir_open(&kv->lfs, &dir, kv_key_lfs(path));
    if (err) {
        return err;
    }
    char prev[LFS_NAME_MAX + 1] = "";
    int have = 0;
    *sorted = 1;
    for (;;) {
        int res = lfs_dir_read(&kv->lfs, &dir, &kv->info);
        if (res <= 0) {
            err = res;
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
    int cerr = lfs_dir_close(&kv->lfs, &dir);
    return err ? err : cerr;
}

/* The next child of the level in kv->info: 1 found, 0 none, <0 error.
 * last: the previous child's name, or NULL before the first. */
static int next_child(struct kv_walk *w, struct kv_walk_level *l,
        const char *path, const char *last) {
    kv_t *kv = w->kv;
    lfs_dir_t dir;
    int err = lfs_dir_open(&kv->lfs, &dir, kv_key_lfs(path));
    if (err) {
        return err;
    }
    int found = 0;
    if (!l->by_select) {
        if (l->started) {
            err = lfs_dir_seek(&kv->lfs, &dir, (lfs_off_t)l->off);
        }
        while (!err) {
            int res = lfs_dir_read(&kv->lfs, &dir, &kv->info);
            if (res <= 0) {
                err = res;
                break;
            }
            if (!kv_name_hidden(kv->info.name)) {
                found = 1;
                break;
            }
        }
        if (found) {
            lfs_soff_t off = lfs_dir_tell(&kv->lfs, &dir);
            if (off < 0) {
                err = (int)off;
            }
            l->off = off;
        }
    } else {
        struct lfs_info best;
        for (;;) {
            int res = lfs_dir_read(&kv->lfs, &dir, &best);
            if (res <= 0) {
                err = res;
                break;
            }
            if (kv_name_hidden(best.name)
                    || (last && strcmp(best.name, last) <= 0)
                    || (found && strcmp(best.name, kv->info.name) >= 0)) {
                continue;
            }
            kv->info = best;
            found = 1;
        }
    }
    int cerr = lfs_dir_close(&kv->lfs, &dir);
    err = err ? err : cerr;
    return err ? err : found;
}

static void level_init(struct kv_walk *w, size_t dir_len) {
    struct kv_walk_level *l = &w->level[w->depth];
    l->dir_len = dir_len;
    l->off = 0;
    l->started = 0;
    l->by_select = 0;
}

int kv_walk_start(kv_t *kv, struct kv_walk *w, const char *norm, int ordered,
        int shallow) {
    size_t n = strlen(norm);
    if (n > KV_KEY_MAX) {
        return LFS_ERR_NAMETOOLONG;
    }
    memmove(kv->walk, norm, n + 1);
    w->kv = kv;
    w->depth = 0;
    w->ordered = ordered;
    w->shallow = shallow;
    level_init(w, n);
    return 0;
}

int kv_walk_next(struct kv_walk *w) {
    kv_t *kv = w->kv;
    struct kv_walk_level *l = &w->level[w->depth];
    size_t dir_len = l->dir_len;
    size_t sep = dir_len ? 1 : 0;
    char last[LFS_NAME_MAX + 1];
    if (l->started) {
        strcpy(last, kv->walk + dir_len + sep);
    }
    kv->walk[dir_len] = '\0';
    if (!l->started && w->ordered) {
        int sorted = 0;
        if (!kv->cfg->unordered_dirs) {
            int err = dir_sorted(kv, kv->walk, &sorted);
            if (err) {
                return err;
            }
        }
        l->by_select = !sorted;
    }
    int res = next_child(w, l, kv->walk, l->started ? last : NULL);
    if (res < 0) {
        return res;
    }
    if (res == 0) {
        if (w->depth == 0) {
            return KV_WALK_END;
        }
        w->depth--;
        return KV_WALK_LEAVE;
    }
    size_t name_len = strlen(kv->info.name);
    size_t child_len = dir_len + sep + name_len;
    if (child_len > KV_KEY_MAX) {
        return LFS_ERR_NAMETOOLONG;
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
        return LFS_ERR_NAMETOOLONG;
    }
    w->depth++;
    level_init(w, child_len);
    return KV_WALK_ENTER;
}
