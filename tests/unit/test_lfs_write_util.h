/*
 * test_lfs_write_util.h - shared by the write-path unit tests (header
 * only: each test is its own program): a bd_emu device in strict prog
 * mode behind a struct lfs_config, and a seeded PRNG for test data.
 */
#ifndef TEST_LFS_WRITE_UTIL_H
#define TEST_LFS_WRITE_UTIL_H

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

struct wdev {
    bd_emu_t *bd;
    struct lfs_config cfg;
    lfs_t lfs;
};

static inline void wdev_init(struct wdev *d, uint32_t read_size,
        uint32_t prog_size, uint32_t block_size, uint32_t block_count,
        uint32_t cache_size) {
    struct bd_emu_config bc = {
        .read_size = read_size, .prog_size = prog_size,
        .block_size = block_size, .block_count = block_count,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT,
        .erase_cycles = 0, .bad_behavior = BD_EMU_BAD_PROG_ERROR, .seed = 1,
    };
    char err[128];
    d->bd = bd_emu_create(&bc, err, sizeof(err));
    assert_non_null(d->bd);
    memset(&d->cfg, 0, sizeof(d->cfg));
    d->cfg.context = d->bd;
    d->cfg.read = bd_emu_read;
    d->cfg.prog = bd_emu_prog;
    d->cfg.erase = bd_emu_erase;
    d->cfg.sync = bd_emu_sync;
    d->cfg.read_size = read_size;
    d->cfg.prog_size = prog_size;
    d->cfg.block_size = block_size;
    d->cfg.block_count = block_count;
    d->cfg.block_cycles = -1;
    d->cfg.cache_size = cache_size;
    d->cfg.lookahead_size = 16;
}

static inline uint64_t wdev_violations(struct wdev *d) {
    struct bd_emu_counters c;
    bd_emu_counters(d->bd, &c);
    return c.prog_violations;
}

static inline void wdev_free(struct wdev *d) {
    assert_int_equal(wdev_violations(d), 0);
    bd_emu_destroy(d->bd);
}

/* Deterministic bytes for file contents: xorshift32. */
static inline void wfill(uint8_t *buf, size_t size, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

static inline void wwrite(lfs_t *lfs, const char *path, const uint8_t *data,
        size_t size, int flags) {
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, path, flags), 0);
    size_t done = 0;
    while (done < size) {
        size_t n = size - done < 97 ? size - done : 97;
        assert_int_equal(lfs_file_write(lfs, &f, data + done, n), (int)n);
        done += n;
    }
    assert_int_equal(lfs_file_close(lfs, &f), 0);
}

static inline void wcheck(lfs_t *lfs, const char *path, const uint8_t *data,
        size_t size) {
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, path, LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_size(lfs, &f), (int)size);
    uint8_t *buf = malloc(size + 1);
    assert_non_null(buf);
    assert_int_equal(lfs_file_read(lfs, &f, buf, size + 1), (int)size);
    assert_memory_equal(buf, data, size);
    free(buf);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
}

#endif
