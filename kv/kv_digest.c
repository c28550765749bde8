/*
 * kv_digest.c - kv_digest: SHA-256 of a value's bytes, or of a
 * dictionary's descendants in the prefix-free encoding documented in
 * lfs_kv.h, streamed by an ordered walk (constant memory).
 */
#include "kv_internal.h"
#include "sha256.h"

#include <string.h>

static int hash_file(kv_t *kv, const char *path, struct sha256 *h) {
    lfs_file_t f;
    int err = kv_file_open(kv, &f, path, LFS_O_RDONLY, NULL);
    if (err) {
        return err;
    }
    uint8_t chunk[64];
    for (;;) {
        lfs_ssize_t r = lfs_file_read(&kv->lfs, &f, chunk, sizeof(chunk));
        if (r <= 0) {
            err = (int)r;
            break;
        }
        sha256_update(h, chunk, (size_t)r);
    }
    int cerr = lfs_file_close(&kv->lfs, &f);
    return err ? err : cerr;
}

static void put_le(struct sha256 *h, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    sha256_update(h, b, (size_t)bytes);
}

static void put_name(struct sha256 *h, char tag, const char *name) {
    size_t n = strlen(name);
    sha256_update(h, &tag, 1);
    put_le(h, n, 2);
    sha256_update(h, name, n);
}

int kv_digest(kv_t *kv, const char *key, uint8_t out[KV_DIGEST_SIZE]) {
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
    struct sha256 h;
    sha256_init(&h);
    if (kind == KV_VALUE) {
        err = hash_file(kv, kv->key, &h);
    } else {
        sha256_update(&h, "kvd1", 4);
        struct kv_walk w;
        err = kv_walk_start(kv, &w, kv->key, 1, 0);
        int ev;
        while (!err && (ev = kv_walk_next(&w)) != KV_WALK_END) {
            if (ev < 0) {
                err = ev;
            } else if (ev == KV_WALK_VALUE) {
                put_name(&h, 'v', kv->info.name);
                put_le(&h, kv->info.size, 8);
                err = hash_file(kv, kv->walk, &h);
            } else if (ev == KV_WALK_ENTER) {
                put_name(&h, 'd', kv->info.name);
            } else {
                sha256_update(&h, "e", 1);
            }
        }
        int serr = kv_walk_stop(&w);
        err = err ? err : serr;
    }
    if (!err) {
        sha256_final(&h, out);
    }
    return err;
}
