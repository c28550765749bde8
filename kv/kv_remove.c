/*
 * kv_remove.c - kv_remove: a value, or a dictionary emptied depth first,
 * one entry per littlefs commit (no per-level state: each step reopens the
 * deepest directory reached and takes its first entry). A cut leaves every
 * key present or gone; the call can be repeated.
 */
#include "kv_internal.h"

#include <string.h>

/* The first entry of directory path (kv's temp included) in kv->info:
 * 1 found, 0 empty, <0 error. */
static int first_entry(kv_t *kv, const char *path) {
    lfs_dir_t dir;
    int err = lfs_dir_open(&kv->lfs, &dir, kv_key_lfs(path));
    if (err) {
        return err;
    }
    int res;
    do {
        res = lfs_dir_read(&kv->lfs, &dir, &kv->info);
    } while (res > 0 && (strcmp(kv->info.name, ".") == 0
                || strcmp(kv->info.name, "..") == 0));
    err = lfs_dir_close(&kv->lfs, &dir);
    return res < 0 ? res : err ? err : res;
}

int kv_remove(kv_t *kv, const char *key) {
    int err = kv_key_parse(kv, key, kv->key);
    if (err) {
        return err;
    }
    enum kv_kind kind;
    err = kv_kind_of(kv, kv->key, &kind, NULL);
    if (err) {
        return err;
    }
    if (kind == KV_NONE) {
        return LFS_ERR_NOENT;
    }
    if (kind == KV_VALUE) {
        return lfs_remove(&kv->lfs, kv->key);
    }
    size_t base_len = strlen(kv->key);
    strcpy(kv->walk, kv->key);
    for (;;) {
        size_t len = strlen(kv->walk);
        int res = first_entry(kv, kv->walk);
        if (res < 0) {
            return res;
        }
        if (res == 0) {
            if (len == 0) {
                return 0;       /* the root stays */
            }
            err = lfs_remove(&kv->lfs, kv->walk);
            if (err || len == base_len) {
                return err;
            }
            size_t up = kv_key_base(kv->walk);
            kv->walk[up ? up - 1 : 0] = '\0';
            continue;
        }
        size_t name_len = strlen(kv->info.name);
        size_t sep = len ? 1 : 0;
        if (len + sep + name_len > KV_KEY_MAX) {
            return LFS_ERR_NAMETOOLONG;
        }
        if (sep) {
            kv->walk[len] = '/';
        }
        memcpy(kv->walk + len + sep, kv->info.name, name_len + 1);
        if (kv->info.type != LFS_TYPE_DIR) {
            err = lfs_remove(&kv->lfs, kv->walk);
            if (err) {
                return err;
            }
            kv->walk[len] = '\0';
        }
    }
}
