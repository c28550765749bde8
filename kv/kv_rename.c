/*
 * kv_rename.c - kv_rename: moving a value or a dictionary with a single
 * lfs_rename (atomic in littlefs), after resolving "onto a dictionary"
 * into "inside it" and refusing what would replace a dictionary.
 */
#include "kv_internal.h"

#include <string.h>

int kv_rename(kv_t *kv, const char *source, const char *dest) {
    int err = kv_key_parse(kv, source, kv->key);
    if (!err) {
        err = kv_key_parse(kv, dest, kv->key2);
    }
    if (err) {
        return err;
    }
    const char *src = kv->key;
    char *dst = kv->key2;
    if (!src[0] || kv_key_under(src, dst)) {
        return LFS_ERR_INVAL;
    }
    enum kv_kind sk, dk;
    err = kv_kind_of(kv, src, &sk, NULL);
    if (err) {
        return err;
    }
    if (sk == KV_NONE) {
        return LFS_ERR_NOENT;
    }
    if (strcmp(src, dst) == 0) {
        return 0;
    }
    err = kv_kind_of(kv, dst, &dk, NULL);
    if (err) {
        return err;
    }
    if (dk == KV_DICTIONARY) {
        /* into the dictionary, under the source's own name */
        const char *name = src + kv_key_base(src);
        size_t len = strlen(dst), sep = len ? 1 : 0;
        if (len + sep + strlen(name) > KV_KEY_MAX) {
            return LFS_ERR_NAMETOOLONG;
        }
        if (sep) {
            dst[len] = '/';
        }
        strcpy(dst + len + sep, name);
        if (strcmp(src, dst) == 0) {
            return 0;
        }
        err = kv_kind_of(kv, dst, &dk, NULL);
        if (err) {
            return err;
        }
        if (dk == KV_DICTIONARY) {
            return sk == KV_VALUE ? LFS_ERR_ISDIR : LFS_ERR_EXIST;
        }
    } else if (dk == KV_NONE) {
        err = kv_make_parents(kv, dst);
        if (err) {
            return err;
        }
    }
    if (dk == KV_VALUE && sk == KV_DICTIONARY) {
        return LFS_ERR_ISDIR;
    }
    err = kv_drop_temp(kv, dst);
    return err ? err : lfs_rename(&kv->lfs, src, dst);
}
