/*
 * kv_list.c - kv_list: a dictionary's children, in name order. A sorted
 * directory (littlefs keeps them so) is checked in one read pass and
 * listed in a second, with one open handle; otherwise, or with
 * unordered_dirs, a shallow ordered walk selects the children.
 */
#include "kv_internal.h"

#include <string.h>

static int emit(kv_t *kv, kv_list_cb cb, void *ctx) {
    size_t len = strlen(kv->key), sep = len ? 1 : 0;
    if (len + sep + strlen(kv->info.name) > KV_KEY_MAX) {
        return LFS_ERR_NAMETOOLONG;
    }
    kv->temp[0] = '/';
    strcpy(kv->temp + 1, kv->key);
    if (sep) {
        kv->temp[1 + len] = '/';
    }
    strcpy(kv->temp + 1 + len + sep, kv->info.name);
    return cb(ctx, kv->temp,
            kv->info.type == LFS_TYPE_DIR ? KV_DICTIONARY : KV_VALUE);
}

/* Lists kv->key in one handle if its names are in order; else sets
 * *unsorted and lists nothing. */
static int list_sorted(kv_t *kv, kv_list_cb cb, void *ctx, int *unsorted) {
    lfs_dir_t dir;
    int err = lfs_dir_open(&kv->lfs, &dir, kv_key_lfs(kv->key));
    if (err) {
        return err;
    }
    int result = 0;
    *unsorted = 0;
    for (int pass = 0; pass < 2 && !result && !*unsorted; pass++) {
        err = lfs_dir_rewind(&kv->lfs, &dir);
        kv->walk[0] = '\0';
        int have = 0;
        while (!err && !result && !*unsorted) {
            int res = lfs_dir_read(&kv->lfs, &dir, &kv->info);
            if (res <= 0) {
                err = res;
                break;
            }
            if (kv_name_hidden(kv->info.name)) {
                continue;
            }
            if (pass == 0) {
                if (have && strcmp(kv->walk, kv->info.name) >= 0) {
                    *unsorted = 1;
                }
                strcpy(kv->walk, kv->info.name);
                have = 1;
            } else {
                result = emit(kv, cb, ctx);
            }
        }
    }
    int cerr = lfs_dir_close(&kv->lfs, &dir);
    return err ? err : result ? result : cerr;
}

int kv_list(kv_t *kv, const char *key, kv_list_cb cb, void *ctx) {
    int err = kv_key_parse(kv, key, kv->key);
    if (err) {
        return err;
    }
    enum kv_kind kind;
    err = kv_kind_of(kv, kv->key, &kind, NULL);
    if (err) {
        return err;
    }
    if (kind != KV_DICTIONARY) {
        return kind == KV_NONE ? LFS_ERR_NOENT : LFS_ERR_NOTDIR;
    }
    if (!kv->cfg->unordered_dirs) {
        int unsorted;
        int res = list_sorted(kv, cb, ctx, &unsorted);
        if (res || !unsorted) {
            return res;
        }
    }
    struct kv_walk w;
    err = kv_walk_start(kv, &w, kv->key, 1, 1);
    while (!err) {
        int ev = kv_walk_next(&w);
        if (ev <= 0) {
            return ev;
        }
        /* the absolute key: '/' and the walk path (at most KV_KEY_MAX) */
        kv->temp[0] = '/';
        strcpy(kv->temp + 1, kv->walk);
        err = cb(ctx, kv->temp, ev == KV_WALK_VALUE ? KV_VALUE : KV_DICTIONARY);
    }
    int serr = kv_walk_stop(&w);
    return err ? err : serr;
}
