/*
 * kv_time.c - timestamps: the 12-byte attribute 0x74 (LE uint32 days since
 * the epoch, LE uint64 picoseconds in the day, as chamelon writes it), the
 * configured clock, and reading a value's timestamp.
 */
#include "kv_internal.h"

void kv_time_encode(const struct kv_time *t, uint8_t out[KV_TIME_SIZE]) {
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(t->days >> (8 * i));
    }
    for (int i = 0; i < 8; i++) {
        out[4 + i] = (uint8_t)(t->ps >> (8 * i));
    }
}

void kv_time_decode(const uint8_t in[KV_TIME_SIZE], struct kv_time *t) {
    t->days = 0;
    t->ps = 0;
    for (int i = 0; i < 4; i++) {
        t->days |= (uint32_t)in[i] << (8 * i);
    }
    for (int i = 0; i < 8; i++) {
        t->ps |= (uint64_t)in[4 + i] << (8 * i);
    }
}

int kv_time_cmp(const struct kv_time *a, const struct kv_time *b) {
    if (a->days != b->days) {
        return a->days < b->days ? -1 : 1;
    }
    if (a->ps != b->ps) {
        return a->ps < b->ps ? -1 : 1;
    }
    return 0;
}

int kv_now(kv_t *kv, struct kv_time *t) {
    t->days = 0;
    t->ps = 0;
    if (kv->cfg->clock) {
        int err = kv->cfg->clock(kv->cfg->clock_ctx, t);
        if (err) {
            return err < 0 ? err : LFS_ERR_IO;
        }
    }
    return 0;
}

/* An attribute of another size than 12 bytes is not a kv timestamp: the
 * value then counts as written at the epoch. */
int kv_value_time(kv_t *kv, const char *path, struct kv_time *t) {
    uint8_t raw[KV_TIME_SIZE];
    t->days = 0;
    t->ps = 0;
    lfs_ssize_t n = lfs_getattr(&kv->lfs, path, KV_ATTR_TIME, raw, sizeof(raw));
    if (n == LFS_ERR_NOATTR) {
        return 0;
    }
    if (n < 0) {
        return (int)n;
    }
    if (n == KV_TIME_SIZE) {
        kv_time_decode(raw, t);
    }
    return 0;
}
