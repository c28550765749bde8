/*
 * kv_lookup.c - what a normalized key names on disk, creating the
 * dictionaries above a key, and the reserved temp name of a directory.
 * kv->temp is scratch for these helpers.
 */
#include "kv_internal.h"

#include <string.h>

int kv_kind_of(kv_t *kv, const char *norm, enum kv_kind *kind, lfs_size_t *size) {
    *kind = KV_NONE;
    if (size) {
        *size = 0;
    }
    if (!norm[0]) {
        *kind = KV_DICTIONARY;
        return 0;
    }
    struct lfs_info info;
    int err = lfs_stat(&kv->lfs, norm, &info);
    if (err == LFS_ERR_NOENT || err == LFS_ERR_NOTDIR) {
        return 0;
    }
    if (err) {
        return err;
    }
    if (info.type == LFS_TYPE_DIR) {
        *kind = KV_DICTIONARY;
    } else {
        *kind = KV_VALUE;
        if (size) {
            *size = info.size;
        }
    }
    return 0;
}

int kv_make_parents(kv_t *kv, const char *norm) {
    size_t base = kv_key_base(norm);
    if (base == 0) {
        return 0;
    }
    char *prefix = kv->temp;
    memcpy(prefix, norm, base - 1);
    prefix[base - 1] = '\0';
    enum kv_kind kind;
    int err = kv_kind_of(kv, prefix, &kind, NULL);
    if (err || kind == KV_DICTIONARY) {
        return err;
    }
    /* something above is missing or a value: go down from the top */
    for (size_t i = 0; i < base; i++) {
        if (norm[i] != '/') {
            continue;
        }
        memcpy(prefix, norm, i);
        prefix[i] = '\0';
        err = kv_kind_of(kv, prefix, &kind, NULL);
        if (err) {
            return err;
        }
        if (kind == KV_VALUE) {
            return LFS_ERR_NOTDIR;
        }
        if (kind == KV_NONE) {
            err = lfs_mkdir(&kv->lfs, prefix);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

int kv_drop_temp(kv_t *kv, const char *norm) {
    size_t base = kv_key_base(norm);
    memcpy(kv->temp, norm, base);
    strcpy(kv->temp + base, KV_TEMP_NAME);
    int err = lfs_remove(&kv->lfs, kv->temp);
    return err == LFS_ERR_NOENT ? 0 : err;
}

int kv_file_open(kv_t *kv, lfs_file_t *f, const char *path, int flags,
        const struct kv_time *t) {
    memset(&kv->fcfg, 0, sizeof(kv->fcfg));
    kv->fcfg.buffer = kv->cfg->file_buffer;
    if (t) {
        kv->fattr.type = KV_ATTR_TIME;
        kv->fattr.buffer = kv->ftime;
        kv->fattr.size = KV_TIME_SIZE;
        kv->fcfg.attrs = &kv->fattr;
        kv->fcfg.attr_count = 1;
    }
    int err = lfs_file_opencfg(&kv->lfs, f, path, flags, &kv->fcfg);
    if (!err && t) {
        /* opening read the stored stamp into the buffer: replace it */
        kv_time_encode(t, kv->ftime);
    }
    return err;
}
