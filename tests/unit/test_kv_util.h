/*
 * test_kv_util.h - shared by the key-value view's unit tests (header only:
 * each test is its own program): a bd_emu device behind a kv_config with a
 * controllable clock, and small assertion helpers.
 */
#ifndef TEST_KV_UTIL_H
#define TEST_KV_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "lfs.h"
#include "bd_emu.h"
#include "lfs_kv.h"

struct kvdev {
    bd_emu_t *bd;
    struct lfs_config cfg;
    struct kv_config kcfg;
    kv_t kv;
    struct kv_time clock;   /* what the clock returns next */
    int clock_err;          /* nonzero: the clock fails with it */
    /* static buffers: nothing is allocated, so a longjmp out of a power
     * cut leaks nothing */
    uint8_t rbuf[64], pbuf[64], lbuf[16], fbuf[64];
};

static inline int kvdev_clock(void *ctx, struct kv_time *now) {
    struct kvdev *d = ctx;
    if (d->clock_err) {
        return d->clock_err;
    }
    *now = d->clock;
    return 0;
}

static inline void kvdev_init(struct kvdev *d, uint32_t block_size,
        uint32_t block_count, uint64_t seed) {
    memset(d, 0, sizeof(*d));
    struct bd_emu_config bc = {
        .read_size = 16, .prog_size = 16,
        .block_size = block_size, .block_count = block_count,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT,
        .erase_cycles = 0, .bad_behavior = BD_EMU_BAD_PROG_ERROR, .seed = seed,
    };
    char err[128];
    d->bd = bd_emu_create(&bc, err, sizeof(err));
    assert_non_null(d->bd);
    d->cfg.context = d->bd;
    d->cfg.read = bd_emu_read;
    d->cfg.prog = bd_emu_prog;
    d->cfg.erase = bd_emu_erase;
    d->cfg.sync = bd_emu_sync;
    d->cfg.read_size = 16;
    d->cfg.prog_size = 16;
    d->cfg.block_size = block_size;
    d->cfg.block_count = block_count;
    d->cfg.block_cycles = -1;
    d->cfg.cache_size = 64;
    d->cfg.lookahead_size = 16;
    d->cfg.read_buffer = d->rbuf;
    d->cfg.prog_buffer = d->pbuf;
    d->cfg.lookahead_buffer = d->lbuf;
    d->kcfg.file_buffer = d->fbuf;
    d->kcfg.lfs = &d->cfg;
    d->kcfg.clock = kvdev_clock;
    d->kcfg.clock_ctx = d;
    d->clock.days = 19000;
    d->clock.ps = 1;
}

static inline void kvdev_fresh(struct kvdev *d) {
    assert_int_equal(kv_format(&d->kv, &d->kcfg), 0);
    assert_int_equal(kv_mount(&d->kv, &d->kcfg), 0);
}

static inline void kvdev_free(struct kvdev *d) {
    bd_emu_destroy(d->bd);
}

/* Deterministic bytes: xorshift32. */
static inline void kv_fill(uint8_t *buf, size_t size, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

/* Asserts key holds exactly data[0, len). */
static inline void kv_expect(kv_t *kv, const char *key, const void *data, lfs_size_t len) {
    static uint8_t buf[16384];
    lfs_size_t got = 0;
    assert_int_equal(kv_get(kv, key, buf, sizeof(buf), &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(buf, data, len);
}

static inline enum kv_kind kv_kind(kv_t *kv, const char *key) {
    enum kv_kind k;
    assert_int_equal(kv_exists(kv, key, &k), 0);
    return k;
}

#endif
