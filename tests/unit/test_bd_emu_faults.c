/*
 * test_bd_emu_faults.c - power loss on bd_emu: arming and counting, the
 * powered-off state, the callback (including a longjmp out of it), and the
 * exact state each fault model leaves for a given seed.  Expected bytes are
 * re-derived from the device PRNG (prng.h) following the draw order that
 * bd_emu/fault.c documents; invariants are checked as well.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "bd_emu.h"
#include "prng.h"

#define BS 256
#define BC 16

static struct bd_emu_config cfg_with(uint64_t seed, int erase_value)
{
    struct bd_emu_config cfg = {
        .read_size = 16, .prog_size = 16, .block_size = BS, .block_count = BC,
        .erase_value = erase_value, .prog_mode = BD_EMU_PROG_STRICT, .seed = seed,
    };
    return cfg;
}

static bd_emu_t *make(uint64_t seed, int erase_value)
{
    struct bd_emu_config cfg = cfg_with(seed, erase_value);
    char err[200] = "";
    bd_emu_t *bd = bd_emu_create(&cfg, err, sizeof err);
    if (!bd) {
        fail_msg("create failed: %s", err);
    }
    return bd;
}

static void pattern(uint8_t *buf, size_t n, uint32_t salt)
{
    uint64_t st = salt;
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)bde_prng_next(&st);
    }
}

static int cuts;
static void count_cut(void *ctx)
{
    (void)ctx;
    cuts++;
}

static void peek_block(bd_emu_t *bd, uint32_t block, uint8_t *out)
{
    assert_int_equal(bd_emu_peek(bd, block, 0, out, BS), 0);
}

/* The hash of bd's contents computed from scratch (via an image reload). */
static uint64_t hash_from_scratch(bd_emu_t *bd)
{
    char path[] = "/tmp/bd_emu_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(bd_emu_save_image(bd, path), 0);
    bd_emu_t *fresh = make(bd_emu_geometry(bd)->seed, bd_emu_geometry(bd)->erase_value);
    assert_int_equal(bd_emu_load_image(fresh, path), 0);
    uint64_t h = bd_emu_hash(fresh);
    bd_emu_destroy(fresh);
    unlink(path);
    return h;
}

/* Progs `data` over [off, off+size) of block with a cut armed on it. */
static void cut_prog(bd_emu_t *bd, enum bd_emu_fault fault, uint32_t block,
        uint32_t off, const uint8_t *data, uint32_t size)
{
    cuts = 0;
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, fault, count_cut, NULL), 0);
    assert_int_equal(bd_emu_dev_prog(bd, block, off, data, size), LFS_ERR_IO);
    assert_int_equal(cuts, 1);
    assert_false(bd_emu_powered(bd));
    bd_emu_power_on(bd);
}

static void cut_erase(bd_emu_t *bd, enum bd_emu_fault fault, uint32_t block)
{
    cuts = 0;
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, fault, count_cut, NULL), 0);
    assert_int_equal(bd_emu_dev_erase(bd, block), LFS_ERR_IO);
    assert_int_equal(cuts, 1);
    bd_emu_power_on(bd);
}

/* ---- arming, counting, the off state ---- */

static void test_cut_counts_write_ops_only(void **state)
{
    (void)state;
    bd_emu_t *bd = make(1, 0xff);
    uint8_t buf[16] = { 0 };
    cuts = 0;
    assert_int_equal(bd_emu_arm_powerloss(bd, 3, BD_EMU_FAULT_ATOMIC, count_cut, NULL), 0);
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, buf, 16), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, buf, 16), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 15, buf, 16), LFS_ERR_INVAL); /* not counted */
    assert_int_equal(bd_emu_dev_erase(bd, 1), 0);
    assert_int_equal(cuts, 0);
    assert_true(bd_emu_powered(bd));
    assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
    assert_int_equal(cuts, 1);
    assert_int_equal(bd_emu_write_ops(bd), 3);

    /* off: everything fails with IO and is not counted */
    struct bd_emu_counters before, after;
    bd_emu_counters(bd, &before);
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, buf, 16), LFS_ERR_IO);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, buf, 16), LFS_ERR_IO);
    assert_int_equal(bd_emu_dev_erase(bd, 2), LFS_ERR_IO);
    assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
    bd_emu_counters(bd, &after);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(bd_emu_write_ops(bd), 3);

    /* one shot: back on, no further cut */
    bd_emu_power_on(bd);
    assert_int_equal(bd_emu_dev_sync(bd), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, buf, 16), 0);
    assert_int_equal(cuts, 1);

    /* n = 0 and disarm both mean no cut */
    assert_int_equal(bd_emu_arm_powerloss(bd, 0, BD_EMU_FAULT_ATOMIC, count_cut, NULL), 0);
    assert_int_equal(bd_emu_dev_sync(bd), 0);
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_ATOMIC, count_cut, NULL), 0);
    bd_emu_disarm_powerloss(bd);
    assert_int_equal(bd_emu_dev_sync(bd), 0);
    assert_int_equal(cuts, 1);
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_COUNT, count_cut, NULL),
            LFS_ERR_INVAL);
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, (enum bd_emu_fault)-1, NULL, NULL),
            LFS_ERR_INVAL);
    bd_emu_destroy(bd);
}

static jmp_buf jump;
static void jump_out(void *ctx)
{
    (void)ctx;
    longjmp(jump, 1);
}

static void test_callback_longjmp_and_null(void **state)
{
    (void)state;
    bd_emu_t *bd = make(2, 0xff);
    uint8_t data[64];
    pattern(data, sizeof data, 1);
    volatile int jumped = 0;
    assert_int_equal(bd_emu_arm_powerloss(bd, 2, BD_EMU_FAULT_TORN_PREFIX, jump_out, NULL), 0);
    if (setjmp(jump) == 0) {
        assert_int_equal(bd_emu_dev_prog(bd, 3, 0, data, 64), 0);
        bd_emu_dev_prog(bd, 4, 0, data, 64);
        fail_msg("the callback did not jump");
    } else {
        jumped = 1;
    }
    assert_true(jumped);
    assert_false(bd_emu_powered(bd));
    bd_emu_power_on(bd);
    uint8_t out[64];
    assert_int_equal(bd_emu_dev_read(bd, 3, 0, out, 64), 0);
    assert_memory_equal(out, data, 64);
    assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));

    /* no callback: the call returns IO */
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_ATOMIC, NULL, NULL), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 3), LFS_ERR_IO);
    assert_false(bd_emu_powered(bd));
    bd_emu_destroy(bd);
}

static void test_cut_is_traced(void **state)
{
    (void)state;
    bd_emu_t *bd = make(3, 0xff);
    FILE *f = tmpfile();
    assert_non_null(f);
    bd_emu_set_trace_file(bd, f);
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_ATOMIC, NULL, NULL), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 5), LFS_ERR_IO);
    assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
    rewind(f);
    char text[128];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    assert_string_equal(text, "erase 5 0 256 -5\nsync 0 0 0 -5\n");
    fclose(f);
    bd_emu_destroy(bd);
}

/* ---- fault models on a prog ---- */

static void test_atomic(void **state)
{
    (void)state;
    bd_emu_t *bd = make(4, 0xff);
    uint8_t data[BS], out[BS], erased[BS];
    memset(erased, 0xff, BS);
    pattern(data, BS, 2);
    cut_prog(bd, BD_EMU_FAULT_ATOMIC, 1, 0, data, BS);
    peek_block(bd, 1, out);
    assert_memory_equal(out, erased, BS);
    assert_int_equal(bd_emu_hash(bd), 0);

    assert_int_equal(bd_emu_dev_prog(bd, 1, 0, data, BS), 0);
    cut_erase(bd, BD_EMU_FAULT_ATOMIC, 1);
    peek_block(bd, 1, out);
    assert_memory_equal(out, data, BS);
    assert_int_equal(bd_emu_wear(bd, 1), 0);    /* the erase did not happen */
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.erases, 1);              /* but it was issued */
    bd_emu_destroy(bd);
}

static void test_torn_prefix_prog(void **state)
{
    (void)state;
    int seen_partial = 0, seen_other_k = 0;
    uint64_t first_k = UINT64_MAX;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        bd_emu_t *bd = make(seed, 0xff);
        uint8_t old[BS], data[BS], out[BS];
        /* old: the first half programmed, the rest erased */
        pattern(old, BS, 3);
        memset(old + 128, 0xff, 128);
        assert_int_equal(bd_emu_dev_prog(bd, 2, 0, old, 128), 0);
        pattern(data, 128, 4);
        cut_prog(bd, BD_EMU_FAULT_TORN_PREFIX, 2, 96, data, 128);

        uint64_t st = bde_prng_seed(seed);
        uint64_t k = bde_prng_below(&st, 128);
        uint8_t want[BS];
        memcpy(want, old, BS);
        memcpy(want + 96, data, k);
        peek_block(bd, 2, out);
        assert_memory_equal(out, want, BS);
        assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));
        seen_partial |= k > 0;
        if (first_k == UINT64_MAX) {
            first_k = k;
        } else if (k != first_k) {
            seen_other_k = 1;
        }
        bd_emu_destroy(bd);
    }
    assert_true(seen_partial);
    assert_true(seen_other_k);
}

static void test_torn_bits_prog(void **state)
{
    (void)state;
    for (uint64_t seed = 10; seed < 14; seed++) {
        bd_emu_t *bd = make(seed, 0xff);
        uint8_t data[BS], out[BS], want[BS];
        pattern(data, BS, 5);
        cut_prog(bd, BD_EMU_FAULT_TORN_BITS, 7, 0, data, BS);
        peek_block(bd, 7, out);

        uint64_t st = bde_prng_seed(seed), r = 0;
        int landed = 0, missed = 0;
        for (int i = 0; i < BS; i++) {
            if (i % 8 == 0) {
                r = bde_prng_next(&st);
            }
            uint8_t moved = (uint8_t)((0xff ^ data[i]) & (r >> (8 * (i % 8))));
            want[i] = (uint8_t)(0xff ^ moved);
            /* invariant: only bits the prog would move have moved */
            assert_int_equal((out[i] ^ 0xff) & ~(0xff ^ data[i]), 0);
            landed |= out[i] != 0xff;
            missed |= out[i] != data[i];
        }
        assert_memory_equal(out, want, BS);
        assert_true(landed && missed);
        assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));
        bd_emu_destroy(bd);
    }
}

static void test_metastable_prog(void **state)
{
    (void)state;
    uint64_t seed = 21;
    bd_emu_t *bd = make(seed, 0xff);
    bd_emu_t *done = make(seed, 0xff);
    uint8_t data[64], out[64], meta[64];
    pattern(data, 64, 6);
    cut_prog(bd, BD_EMU_FAULT_METASTABLE, 3, 64, data, 64);
    assert_int_equal(bd_emu_dev_prog(done, 3, 64, data, 64), 0);

    /* stored value is the new one; the state is not the same as a complete
     * prog, and the hash says so */
    assert_int_equal(bd_emu_peek(bd, 3, 64, out, 64), 0);
    assert_memory_equal(out, data, 64);
    assert_int_not_equal(bd_emu_hash(bd), bd_emu_hash(done));

    /* the first read, re-derived: one draw per word with unstable bits */
    assert_int_equal(bd_emu_dev_read(bd, 3, 64, out, 64), 0);
    uint64_t st = bde_prng_seed(seed);
    for (int w = 0; w < 8; w++) {
        uint64_t mask = 0;
        for (int i = 0; i < 8; i++) {
            mask |= (uint64_t)(uint8_t)(0xff ^ data[8 * w + i]) << (8 * i);
        }
        uint64_t r = mask ? bde_prng_next(&st) : 0;
        for (int i = 0; i < 8; i++) {
            meta[8 * w + i] = (uint8_t)(data[8 * w + i] ^ ((mask & r) >> (8 * i)));
        }
    }
    assert_memory_equal(out, meta, 64);

    /* every unstable bit reads both ways over many reads; stable bits never move */
    uint8_t seen0[64] = { 0 }, seen1[64] = { 0 };
    for (int n = 0; n < 64; n++) {
        assert_int_equal(bd_emu_dev_read(bd, 3, 64, out, 64), 0);
        for (int i = 0; i < 64; i++) {
            uint8_t unstable = (uint8_t)(0xff ^ data[i]);
            assert_int_equal((out[i] ^ data[i]) & ~unstable, 0);
            seen0[i] |= (uint8_t)~out[i];
            seen1[i] |= out[i];
        }
    }
    for (int i = 0; i < 64; i++) {
        uint8_t unstable = (uint8_t)(0xff ^ data[i]);
        assert_int_equal(seen0[i] & unstable, unstable);
        assert_int_equal(seen1[i] & unstable, unstable);
    }

    /* a snapshot and clone keep the metastable bits */
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    bd_emu_t *clone = bd_emu_clone(snap);
    assert_int_equal(bd_emu_hash(clone), bd_emu_hash(bd));

    /* stable again after an erase: same hash as a device that never had it */
    assert_int_equal(bd_emu_dev_erase(bd, 3), 0);
    assert_int_equal(bd_emu_dev_erase(done, 3), 0);
    assert_int_equal(bd_emu_hash(bd), 0);
    assert_int_equal(bd_emu_hash(done), 0);
    uint8_t erased[64];
    memset(erased, 0xff, 64);
    for (int n = 0; n < 4; n++) {
        assert_int_equal(bd_emu_dev_read(bd, 3, 64, out, 64), 0);
        assert_memory_equal(out, erased, 64);
    }
    assert_int_not_equal(bd_emu_hash(clone), 0);
    bd_emu_destroy(clone);
    bd_emu_snapshot_free(snap);
    bd_emu_destroy(bd);
    bd_emu_destroy(done);
}

static void test_partial_erase_prog_is_atomic(void **state)
{
    (void)state;
    bd_emu_t *bd = make(5, 0xff);
    uint8_t data[32], out[32], erased[32];
    pattern(data, 32, 7);
    memset(erased, 0xff, 32);
    cut_prog(bd, BD_EMU_FAULT_PARTIAL_ERASE, 0, 0, data, 32);
    assert_int_equal(bd_emu_peek(bd, 0, 0, out, 32), 0);
    assert_memory_equal(out, erased, 32);
    assert_int_equal(bd_emu_hash(bd), 0);
    bd_emu_destroy(bd);
}

/* ---- fault models on an erase ---- */

/* What a partial erase of old (erased content `fresh`) leaves, drawn from st. */
static int expect_partial_erase(uint64_t *st, const uint8_t *old, const uint8_t *fresh,
        uint8_t *want)
{
    int pattern_no = (int)bde_prng_below(st, 3);
    if (pattern_no == 0) {
        uint64_t k = bde_prng_below(st, BS);
        for (int i = 0; i < BS; i++) {
            want[i] = (uint64_t)i < k ? fresh[i] : old[i];
        }
    } else if (pattern_no == 1) {
        uint64_t k = bde_prng_below(st, BS);
        for (int i = 0; i < BS; i++) {
            want[i] = (uint64_t)i < k ? old[i] : 0x00;
        }
    } else {
        uint64_t r = 0;
        for (int i = 0; i < BS; i++) {
            if (i % 64 == 0) {
                r = bde_prng_next(st);
            }
            want[i] = (r >> (i % 64)) & 1 ? fresh[i] : old[i];
        }
    }
    return pattern_no;
}

static void test_partial_erase(void **state)
{
    (void)state;
    int seen[3] = { 0 };
    enum bd_emu_fault faults[] = { BD_EMU_FAULT_PARTIAL_ERASE, BD_EMU_FAULT_TORN_PREFIX };
    for (int f = 0; f < 2; f++) {
        for (uint64_t seed = 1; seed <= 12; seed++) {
            bd_emu_t *bd = make(seed, 0xff);
            uint8_t old[BS], fresh[BS], out[BS], want[BS];
            pattern(old, BS, 8);
            memset(fresh, 0xff, BS);
            assert_int_equal(bd_emu_dev_prog(bd, 4, 0, old, BS), 0);
            cut_erase(bd, faults[f], 4);
            uint64_t st = bde_prng_seed(seed);
            seen[expect_partial_erase(&st, old, fresh, want)]++;
            peek_block(bd, 4, out);
            assert_memory_equal(out, want, BS);
            assert_int_equal(bd_emu_wear(bd, 4), 1);    /* the erase started */
            assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));
            bd_emu_destroy(bd);
        }
    }
    assert_true(seen[0] && seen[1] && seen[2]);
}

static void test_erase_none_faults(void **state)
{
    (void)state;
    /* ERASE_NONE: the interrupted erase draws its new content first */
    uint64_t seed = 31;
    bd_emu_t *bd = make(seed, BD_EMU_ERASE_NONE);
    uint8_t old[BS], fresh[BS], out[BS], want[BS];
    pattern(old, BS, 9);
    assert_int_equal(bd_emu_dev_prog(bd, 6, 0, old, BS), 0);
    cut_erase(bd, BD_EMU_FAULT_PARTIAL_ERASE, 6);
    uint64_t st = bde_prng_seed(seed);
    bde_prng_bytes(&st, fresh, BS);
    expect_partial_erase(&st, old, fresh, want);
    peek_block(bd, 6, out);
    assert_memory_equal(out, want, BS);
    assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));

    /* torn bits on an erase: a subset of the bits the erase would move */
    uint64_t prng_after = st;
    memcpy(old, out, BS);
    cut_erase(bd, BD_EMU_FAULT_TORN_BITS, 6);
    st = prng_after;
    bde_prng_bytes(&st, fresh, BS);
    uint64_t r = 0;
    for (int i = 0; i < BS; i++) {
        if (i % 8 == 0) {
            r = bde_prng_next(&st);
        }
        want[i] = (uint8_t)(old[i] ^ ((old[i] ^ fresh[i]) & (r >> (8 * (i % 8)))));
    }
    peek_block(bd, 6, out);
    assert_memory_equal(out, want, BS);
    assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));
    bd_emu_destroy(bd);
}

static void test_metastable_erase(void **state)
{
    (void)state;
    bd_emu_t *bd = make(41, 0xff);
    uint8_t old[BS], out[BS], erased[BS];
    pattern(old, BS, 10);
    memset(erased, 0xff, BS);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, old, BS), 0);
    cut_erase(bd, BD_EMU_FAULT_METASTABLE, 2);
    peek_block(bd, 2, out);
    assert_memory_equal(out, erased, BS);
    int differs = 0;
    for (int n = 0; n < 8; n++) {
        assert_int_equal(bd_emu_dev_read(bd, 2, 0, out, BS), 0);
        for (int i = 0; i < BS; i++) {
            /* only bits the erase would move are unstable */
            assert_int_equal((out[i] ^ 0xff) & ~(old[i] ^ 0xff), 0);
            differs |= out[i] != 0xff;
        }
    }
    assert_true(differs);
    assert_int_not_equal(bd_emu_hash(bd), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 2), 0);
    assert_int_equal(bd_emu_hash(bd), 0);
    bd_emu_destroy(bd);
}

/* ---- out-of-order writeback ---- */

static void test_out_of_order(void **state)
{
    (void)state;
    int reverted = 0, kept = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        for (int cut_sync = 0; cut_sync < 2; cut_sync++) {
            bd_emu_t *bd = make(seed, 0xff);
            uint8_t a[BS], b[BS], c[BS], d[BS], e[BS], out[BS], erased[BS];
            pattern(a, BS, 11); pattern(b, BS, 12); pattern(c, BS, 13);
            pattern(d, BS, 14); pattern(e, BS, 15);
            memset(erased, 0xff, BS);
            /* synced: block 1 = a, block 5 = e */
            assert_int_equal(bd_emu_dev_prog(bd, 1, 0, a, BS), 0);
            assert_int_equal(bd_emu_dev_prog(bd, 5, 0, e, BS), 0);
            assert_int_equal(bd_emu_dev_sync(bd), 0);
            /* unsynced, first written in the order 2, 1, 3 */
            assert_int_equal(bd_emu_dev_prog(bd, 2, 0, b, BS), 0);
            assert_int_equal(bd_emu_dev_erase(bd, 1), 0);
            assert_int_equal(bd_emu_dev_prog(bd, 1, 0, c, BS), 0);
            assert_int_equal(bd_emu_dev_prog(bd, 3, 0, d, BS), 0);
            assert_int_equal(bd_emu_dev_prog(bd, 2, 0, b, 16), 0); /* again: same slot */
            cuts = 0;
            assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_OUT_OF_ORDER,
                    count_cut, NULL), 0);
            if (cut_sync) {
                assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
            } else {
                assert_int_equal(bd_emu_dev_prog(bd, 4, 0, d, BS), LFS_ERR_IO);
            }
            assert_int_equal(cuts, 1);
            bd_emu_power_on(bd);

            uint64_t st = bde_prng_seed(seed);
            const uint8_t *synced[3] = { erased, a, erased };   /* blocks 2, 1, 3 */
            const uint8_t *latest[3] = { b, c, d };
            uint32_t order[3] = { 2, 1, 3 };
            for (int i = 0; i < 3; i++) {
                int revert = bde_prng_next(&st) & 1;
                reverted += revert;
                kept += !revert;
                peek_block(bd, order[i], out);
                assert_memory_equal(out, revert ? synced[i] : latest[i], BS);
            }
            peek_block(bd, 5, out);
            assert_memory_equal(out, e, BS);     /* synced data survives */
            peek_block(bd, 4, out);
            assert_memory_equal(out, erased, BS); /* the cut op did not happen */
            assert_int_equal(bd_emu_hash(bd), hash_from_scratch(bd));

            /* after the cut everything is durable: a second cut loses nothing */
            uint64_t h = bd_emu_hash(bd);
            assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_OUT_OF_ORDER,
                    NULL, NULL), 0);
            assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
            assert_int_equal(bd_emu_hash(bd), h);
            bd_emu_destroy(bd);
        }
    }
    assert_true(reverted > 0 && kept > 0);
}

/* ---- inject, determinism ---- */

static void test_inject_matches_cut(void **state)
{
    (void)state;
    for (int fault = 0; fault < BD_EMU_FAULT_COUNT; fault++) {
        bd_emu_t *a = make(50 + fault, 0xff), *b = make(50 + fault, 0xff);
        uint8_t data[BS], x[BS], y[BS];
        pattern(data, BS, 16);
        for (int i = 0; i < 2; i++) {
            bd_emu_t *bd = i ? b : a;
            assert_int_equal(bd_emu_dev_prog(bd, 1, 0, data, BS), 0);
            assert_int_equal(bd_emu_dev_sync(bd), 0);
            assert_int_equal(bd_emu_dev_prog(bd, 2, 0, data, 128), 0);
        }
        cut_erase(a, (enum bd_emu_fault)fault, 1);
        uint64_t ops = bd_emu_write_ops(b);
        assert_int_equal(bd_emu_inject_fault(b, BD_EMU_OP_ERASE, (enum bd_emu_fault)fault,
                1, 0, NULL, 0), 0);
        assert_false(bd_emu_powered(b));
        assert_int_equal(bd_emu_write_ops(b), ops);     /* not counted */
        assert_int_equal(bd_emu_wear(b, 1), 0);         /* nor worn */
        assert_int_equal(bd_emu_inject_fault(b, BD_EMU_OP_SYNC, BD_EMU_FAULT_ATOMIC,
                0, 0, NULL, 0), LFS_ERR_IO);
        bd_emu_power_on(b);
        for (uint32_t blk = 0; blk < 3; blk++) {
            peek_block(a, blk, x);
            peek_block(b, blk, y);
            assert_memory_equal(x, y, BS);
        }
        assert_int_equal(bd_emu_hash(a), bd_emu_hash(b));
        bd_emu_destroy(a);
        bd_emu_destroy(b);
    }

    bd_emu_t *bd = make(1, 0xff);
    uint8_t data[16] = { 0 };
    assert_int_equal(bd_emu_inject_fault(bd, BD_EMU_OP_READ, BD_EMU_FAULT_ATOMIC,
            0, 0, data, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_inject_fault(bd, BD_EMU_OP_PROG, BD_EMU_FAULT_COUNT,
            0, 0, data, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_inject_fault(bd, BD_EMU_OP_PROG, BD_EMU_FAULT_ATOMIC,
            0, 8, data, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_inject_fault(bd, BD_EMU_OP_ERASE, BD_EMU_FAULT_ATOMIC,
            BC, 0, NULL, 0), LFS_ERR_INVAL);
    assert_true(bd_emu_powered(bd));
    assert_int_equal(bd_emu_inject_fault(bd, BD_EMU_OP_PROG, BD_EMU_FAULT_TORN_BITS,
            0, 0, data, 16), 0);
    assert_false(bd_emu_powered(bd));
    bd_emu_destroy(bd);
}

/* A fixed script touching every seeded behaviour; returns the final hash
 * and fills `image` with block 0..3. */
static uint64_t run_script(uint64_t seed, uint8_t *image)
{
    bd_emu_t *bd = make(seed, BD_EMU_ERASE_NONE);
    uint8_t data[BS], out[BS];
    pattern(data, BS, 17);
    for (int round = 0; round < BD_EMU_FAULT_COUNT; round++) {
        assert_int_equal(bd_emu_dev_erase(bd, round % 4), 0);
        assert_int_equal(bd_emu_dev_prog(bd, round % 4, 0, data, 128), 0);
        assert_int_equal(bd_emu_arm_powerloss(bd, 2, (enum bd_emu_fault)round, NULL, NULL), 0);
        bd_emu_dev_erase(bd, (round + 1) % 4);
        bd_emu_dev_prog(bd, (round + 1) % 4, 128, data, 128);
        bd_emu_power_on(bd);
        assert_int_equal(bd_emu_dev_read(bd, (round + 1) % 4, 0, out, BS), 0);
        assert_int_equal(bd_emu_dev_prog(bd, (round + 2) % 4, 0, out, BS), 0);
    }
    for (uint32_t b = 0; b < 4; b++) {
        peek_block(bd, b, image + b * BS);
    }
    uint64_t h = bd_emu_hash(bd);
    bd_emu_destroy(bd);
    return h;
}

static void test_determinism(void **state)
{
    (void)state;
    uint8_t x[4 * BS], y[4 * BS], z[4 * BS];
    uint64_t hx = run_script(123, x), hy = run_script(123, y), hz = run_script(124, z);
    assert_int_equal(hx, hy);
    assert_memory_equal(x, y, sizeof x);
    assert_int_not_equal(hx, hz);
    assert_memory_not_equal(x, z, sizeof x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_counts_write_ops_only),
        cmocka_unit_test(test_callback_longjmp_and_null),
        cmocka_unit_test(test_cut_is_traced),
        cmocka_unit_test(test_atomic),
        cmocka_unit_test(test_torn_prefix_prog),
        cmocka_unit_test(test_torn_bits_prog),
        cmocka_unit_test(test_metastable_prog),
        cmocka_unit_test(test_partial_erase_prog_is_atomic),
        cmocka_unit_test(test_partial_erase),
        cmocka_unit_test(test_erase_none_faults),
        cmocka_unit_test(test_metastable_erase),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_inject_matches_cut),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
