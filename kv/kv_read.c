/*
 * kv_read.c - the read calls on one key: kv_exists, kv_get,
 * kv_get_partial, kv_size and kv_last_modified (the last two walk a
 * dictionary's descendants).
 */
#include "kv_internal.h"

int kv_exists(kv_t *kv, const char *key, enum kv_kind *kind) {
    *kind = KV_NONE;
    int err = kv_key_parse(kv, key, kv->key);
    return err ? err : kv_kind_of(kv, kv->key, kind, NULL);
}

/* Parses key and requires a value; its size in *size. */
static int find_value(kv_t *kv, const char *key, lfs_size_t *size) {
    int err = kv_key_parse(kv, key, kv->key);
    if (err) {
        return err;
    }
    enum kv_kind kind;
    err = kv_kind_of(kv, kv->key, &kind, size);
    if (err) {
        return err;
    }
    return kind == KV_NONE ? LFS_ERR_NOENT
        : kind == KV_DICTIONARY ? LFS_ERR_ISDIR : 0;
}

static int read_at(kv_t *kv, lfs_off_t offset, void *buf, lfs_size_t len,
        lfs_size_t *n) {
    lfs_file_t f;
    int err = kv_file_open(kv, &f, kv->key, LFS_O_RDONLY, NULL);
    if (err) {
        return err;
    }
    lfs_size_t got = 0;
    lfs_soff_t pos = lfs_file_seek(&kv->lfs, &f, (lfs_soff_t)offset, LFS_SEEK_SET);
    if (pos < 0) {
        err = (int)pos;
    }
    while (!err && got < len) {
        lfs_ssize_t r = lfs_file_read(&kv->lfs, &f, (uint8_t *)buf + got, len - got);
        if (r < 0) {
            err = (int)r;
        } else if (r == 0) {
            break;
        } else {
            got += (lfs_size_t)r;
        }
    }
    int cerr = lfs_file_close(&kv->lfs, &f);
    *n = got;
    return err ? err : cerr;
}

int kv_get(kv_t *kv, const char *key, void *buf, lfs_size_t cap, lfs_size_t *len) {
    lfs_size_t size = 0;
    *len = 0;
    int err = find_value(kv, key, &size);
    if (err) {
        return err;
    }
    *len = size;
    if (size > cap) {
        return LFS_ERR_FBIG;
    }
    lfs_size_t got;
    err = read_at(kv, 0, buf, size, &got);
    if (!err && got != size) {
        err = LFS_ERR_CORRUPT;
    }
    return err;
}

int kv_get_partial(kv_t *kv, const char *key, lfs_off_t offset,
        void *buf, lfs_size_t len, lfs_size_t *n) {
    lfs_size_t size = 0;
    *n = 0;
    int err = find_value(kv, key, &size);
    if (err || offset >= size || len == 0) {
        return err;
    }
    return read_at(kv, offset, buf, len, n);
}

/* Parses key; *kind is what it names (NOENT if nothing). */
static int find_any(kv_t *kv, const char *key, enum kv_kind *kind, lfs_size_t *size) {
    int err = kv_key_parse(kv, key, kv->key);
    if (!err) {
        err = kv_kind_of(kv, kv->key, kind, size);
    }
    return !err && *kind == KV_NONE ? LFS_ERR_NOENT : err;
}

int kv_size(kv_t *kv, const char *key, uint64_t *size) {
    enum kv_kind kind;
    lfs_size_t one = 0;
    *size = 0;
    int err = find_any(kv, key, &kind, &one);
    if (err || kind == KV_VALUE) {
        *size = one;
        return err;
    }
    struct kv_walk w;
    err = kv_walk_start(kv, &w, kv->key, 0, 0);
    uint64_t total = 0;
    int ev;
    while (!err && (ev = kv_walk_next(&w)) != KV_WALK_END) {
        if (ev < 0) {
            err = ev;
        } else if (ev == KV_WALK_VALUE) {
            total += kv->info.size;
        }
    }
    int serr = kv_walk_stop(&w);
    err = err ? err : serr;
    *size = err ? 0 : total;
    return err;
}

int kv_last_modified(kv_t *kv, const char *key, struct kv_time *t) {
    enum kv_kind kind;
    t->days = 0;
    t->ps = 0;
    int err = find_any(kv, key, &kind, NULL);
    if (err) {
        return err;
    }
    if (kind == KV_VALUE) {
        return kv_value_time(kv, kv->key, t);
    }
    struct kv_walk w;
    err = kv_walk_start(kv, &w, kv->key, 0, 0);
    struct kv_time latest = {0, 0}, one;
    int ev;
    while (!err && (ev = kv_walk_next(&w)) != KV_WALK_END) {
        if (ev < 0) {
            err = ev;
        } else if (ev == KV_WALK_VALUE) {
            err = kv_value_time(kv, kv->walk, &one);
            if (!err && kv_time_cmp(&one, &latest) > 0) {
                latest = one;
            }
        }
    }
    int serr = kv_walk_stop(&w);
    err = err ? err : serr;
    if (!err) {
        *t = latest;
    }
    return err;
}
