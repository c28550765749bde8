/*
 * kv_list.c - kv_list: a dictionary's children, in name order, by a
 * shallow ordered walk.
 */
#include "kv_internal.h"

#include <string.h>

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
    return err;
}
