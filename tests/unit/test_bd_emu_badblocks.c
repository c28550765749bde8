/*
 * test_bd_emu_badblocks.c - wear, wear-out and factory bad blocks with each
 * bad-block behaviour, and bit errors: persistent flips (one bit, n random
 * bits) and transient read disturb.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <math.h>
#include <cmocka.h>

#include "bd_emu.h"
#include "prng.h"

#define BS 128
#define BC 8

static bd_emu_t *make(uint32_t cycles, enum bd_emu_bad_behavior beh, uint64_t seed)
{
    struct bd_emu_config cfg = {
        .read_size = 16, .prog_size = 16, .block_size = BS, .block_count = BC,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT,
        .erase_cycles = cycles, .bad_behavior = beh, .seed = seed,
    };
    char err[200] = "";
    bd_emu_t *bd = bd_emu_create(&cfg, err, sizeof err);
    if (!bd) {
        fail_msg("create failed: %s", err);
    }
    return bd;
}

static void pattern(uint8_t *buf, size_t n, uint64_t salt)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)bde_prng_next(&salt);
    }
}

static int popcount8(uint8_t x)
{
    int n = 0;
    for (; x; x &= (uint8_t)(x - 1)) {
        n++;
    }
    return n;
}

/* ---- wear ---- */

static void test_wear_out_at_erase_cycles(void **state)
{
    (void)state;
    bd_emu_t *bd = make(3, BD_EMU_BAD_PROG_ERROR, 1);
    uint8_t data[BS], out[BS];
    pattern(data, BS, 1);
    for (uint32_t i = 1; i <= 3; i++) {
        assert_int_equal(bd_emu_is_bad(bd, 2), 0);
        assert_int_equal(bd_emu_dev_erase(bd, 2), 0);
        assert_int_equal(bd_emu_wear(bd, 2), i);
    }
    /* the third erase reached erase_cycles: now bad */
    assert_int_equal(bd_emu_is_bad(bd, 2), 1);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, data, BS), LFS_ERR_CORRUPT);
    /* a bad block wears no further */
    assert_int_equal(bd_emu_dev_erase(bd, 2), 0);
    assert_int_equal(bd_emu_wear(bd, 2), 3);
    /* other blocks are fine */
    assert_int_equal(bd_emu_dev_prog(bd, 3, 0, data, BS), 0);
    assert_int_equal(bd_emu_dev_read(bd, 3, 0, out, BS), 0);
    assert_memory_equal(out, data, BS);
    /* set_wear below the limit revives it; to the limit kills it */
    assert_int_equal(bd_emu_set_wear(bd, 2, 2), 0);
    assert_int_equal(bd_emu_is_bad(bd, 2), 0);
    assert_int_equal(bd_emu_set_wear(bd, 5, 3), 0);
    assert_int_equal(bd_emu_is_bad(bd, 5), 1);
    assert_int_equal(bd_emu_is_bad(bd, BC), LFS_ERR_INVAL);
    bd_emu_destroy(bd);

    /* erase_cycles 0: unlimited */
    bd = make(0, BD_EMU_BAD_PROG_ERROR, 1);
    assert_int_equal(bd_emu_set_wear(bd, 1, UINT32_MAX - 1), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 1), 0);
    assert_int_equal(bd_emu_wear(bd, 1), UINT32_MAX);
    assert_int_equal(bd_emu_is_bad(bd, 1), 0);
    bd_emu_destroy(bd);
}

/* ---- each behaviour, on a factory-bad block ---- */

struct bad_setup {
    bd_emu_t *bd;
    uint8_t old[BS], data[BS], out[BS];
};

/* Block 1 holds `old` in its first half, erased second half, then goes bad. */
static void setup_bad(struct bad_setup *s, enum bd_emu_bad_behavior beh, uint64_t seed)
{
    s->bd = make(0, beh, seed);
    pattern(s->old, BS, 2);
    memset(s->old + BS / 2, 0xff, BS / 2);
    pattern(s->data, BS, 3);
    assert_int_equal(bd_emu_dev_prog(s->bd, 1, 0, s->old, BS / 2), 0);
    assert_int_equal(bd_emu_set_bad(s->bd, 1, 1), 0);
    assert_int_equal(bd_emu_is_bad(s->bd, 1), 1);
}

static void assert_block(bd_emu_t *bd, uint32_t block, const uint8_t *want)
{
    uint8_t out[BS];
    assert_int_equal(bd_emu_peek(bd, block, 0, out, BS), 0);
    assert_memory_equal(out, want, BS);
}

static void test_bad_prog_error(void **state)
{
    (void)state;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_PROG_ERROR, 1);
    uint64_t h = bd_emu_hash(s.bd);
    assert_int_equal(bd_emu_dev_prog(s.bd, 1, BS / 2, s.data, BS / 2), LFS_ERR_CORRUPT);
    assert_block(s.bd, 1, s.old);
    assert_int_equal(bd_emu_hash(s.bd), h);
    assert_int_equal(bd_emu_dev_read(s.bd, 1, 0, s.out, BS), 0);
    assert_memory_equal(s.out, s.old, BS);
    uint8_t erased[BS];
    memset(erased, 0xff, BS);
    assert_int_equal(bd_emu_dev_erase(s.bd, 1), 0);
    assert_block(s.bd, 1, erased);
    assert_int_equal(bd_emu_wear(s.bd, 1), 0);  /* bad: no wear */
    struct bd_emu_counters k;
    bd_emu_counters(s.bd, &k);
    assert_int_equal(k.progs, 2);               /* the failed prog counts */
    bd_emu_destroy(s.bd);
}

static void test_bad_erase_error(void **state)
{
    (void)state;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_ERASE_ERROR, 1);
    assert_int_equal(bd_emu_dev_erase(s.bd, 1), LFS_ERR_CORRUPT);
    assert_block(s.bd, 1, s.old);
    assert_int_equal(bd_emu_dev_prog(s.bd, 1, BS / 2, s.data, BS / 2), 0);
    memcpy(s.old + BS / 2, s.data, BS / 2);
    assert_block(s.bd, 1, s.old);
    bd_emu_destroy(s.bd);
}

static void test_bad_read_error(void **state)
{
    (void)state;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_READ_ERROR, 1);
    memset(s.out, 0x5a, BS);
    assert_int_equal(bd_emu_dev_read(s.bd, 1, 0, s.out, BS), LFS_ERR_CORRUPT);
    for (int i = 0; i < BS; i++) {
        assert_int_equal(s.out[i], 0x5a);       /* buffer untouched */
    }
    assert_int_equal(bd_emu_dev_read(s.bd, 2, 0, s.out, BS), 0);
    /* heal the block: reads work again */
    assert_int_equal(bd_emu_set_bad(s.bd, 1, 0), 0);
    assert_int_equal(bd_emu_dev_read(s.bd, 1, 0, s.out, BS), 0);
    assert_memory_equal(s.out, s.old, BS);
    bd_emu_destroy(s.bd);
}

static void test_bad_noops(void **state)
{
    (void)state;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_PROG_NOOP, 1);
    assert_int_equal(bd_emu_dev_prog(s.bd, 1, BS / 2, s.data, BS / 2), 0);
    assert_block(s.bd, 1, s.old);
    bd_emu_destroy(s.bd);

    setup_bad(&s, BD_EMU_BAD_ERASE_NOOP, 1);
    assert_int_equal(bd_emu_dev_erase(s.bd, 1), 0);
    assert_block(s.bd, 1, s.old);
    /* switching the behaviour at run time */
    assert_int_equal(bd_emu_set_bad_behavior(s.bd, BD_EMU_BAD_ERASE_ERROR), 0);
    assert_int_equal(bd_emu_geometry(s.bd)->bad_behavior, BD_EMU_BAD_ERASE_ERROR);
    assert_int_equal(bd_emu_dev_erase(s.bd, 1), LFS_ERR_CORRUPT);
    assert_int_equal(bd_emu_set_bad_behavior(s.bd, (enum bd_emu_bad_behavior)6),
            LFS_ERR_INVAL);
    assert_int_equal(bd_emu_set_bad(s.bd, BC, 1), LFS_ERR_INVAL);
    bd_emu_destroy(s.bd);
}

static void test_bad_prog_flip(void **state)
{
    (void)state;
    uint64_t seed = 9;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_PROG_FLIP, seed);
    assert_int_equal(bd_emu_dev_prog(s.bd, 1, BS / 2, s.data, BS / 2), 0);
    assert_int_equal(bd_emu_peek(s.bd, 1, 0, s.out, BS), 0);
    assert_memory_equal(s.out, s.old, BS / 2);

    /* re-derive: each bit the prog would move stays put when its draw bit is set */
    uint64_t st = bde_prng_seed(seed), r = 0;
    int failed = 0;
    for (int i = 0; i < BS / 2; i++) {
        if (i % 8 == 0) {
            r = bde_prng_next(&st);
        }
        uint8_t moved = (uint8_t)(0xff ^ s.data[i]);
        uint8_t stuck = (uint8_t)(moved & (r >> (8 * (i % 8))));
        assert_int_equal(s.out[BS / 2 + i], (uint8_t)(s.data[i] | stuck));
        /* invariant: only bits that should have moved can differ */
        assert_int_equal((s.out[BS / 2 + i] ^ s.data[i]) & ~moved, 0);
        failed += popcount8(stuck);
    }
    assert_true(failed > 0);
    bd_emu_destroy(s.bd);
}

/* A cut on a bad block's failing prog changes nothing, but out-of-order
 * still reverts unsynced blocks. */
static void test_cut_on_bad_block(void **state)
{
    (void)state;
    struct bad_setup s;
    setup_bad(&s, BD_EMU_BAD_PROG_ERROR, 4);
    assert_int_equal(bd_emu_dev_sync(s.bd), 0);
    assert_int_equal(bd_emu_arm_powerloss(s.bd, 1, BD_EMU_FAULT_TORN_BITS, NULL, NULL), 0);
    assert_int_equal(bd_emu_dev_prog(s.bd, 1, BS / 2, s.data, BS / 2), LFS_ERR_IO);
    assert_block(s.bd, 1, s.old);
    bd_emu_destroy(s.bd);
}

/* ---- bit flips ---- */

static void test_flip_bit(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0, BD_EMU_BAD_PROG_ERROR, 1);
    uint8_t out[BS];
    assert_int_equal(bd_emu_flip_bit(bd, 3, 8 * 10 + 3), 0);
    assert_int_equal(bd_emu_dev_read(bd, 3, 0, out, BS), 0);
    for (int i = 0; i < BS; i++) {
        assert_int_equal(out[i], i == 10 ? (0xff ^ 0x08) : 0xff);
    }
    uint64_t flipped = bd_emu_hash(bd);
    assert_int_not_equal(flipped, 0);
    /* persistent across reads; flipping back restores the hash */
    assert_int_equal(bd_emu_dev_read(bd, 3, 0, out, BS), 0);
    assert_int_equal(out[10], 0xf7);
    assert_int_equal(bd_emu_flip_bit(bd, 3, 8 * 10 + 3), 0);
    assert_int_equal(bd_emu_hash(bd), 0);
    /* works while off */
    assert_int_equal(bd_emu_arm_powerloss(bd, 1, BD_EMU_FAULT_ATOMIC, NULL, NULL), 0);
    assert_int_equal(bd_emu_dev_sync(bd), LFS_ERR_IO);
    assert_int_equal(bd_emu_flip_bit(bd, 3, 8 * 10 + 3), 0);
    assert_int_equal(bd_emu_hash(bd), flipped);
    assert_int_equal(bd_emu_flip_bit(bd, 3, 8 * BS), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_flip_bit(bd, BC, 0), LFS_ERR_INVAL);
    bd_emu_destroy(bd);
}

static void test_flip_random(void **state)
{
    (void)state;
    uint32_t counts[] = { 1, 5, 64, 8 * BS };
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        bd_emu_t *a = make(0, BD_EMU_BAD_PROG_ERROR, 7), *b = make(0, BD_EMU_BAD_PROG_ERROR, 7);
        bd_emu_t *other = make(0, BD_EMU_BAD_PROG_ERROR, 8);
        uint8_t x[BS], y[BS], z[BS];
        pattern(x, BS, 5);
        assert_int_equal(bd_emu_dev_prog(a, 2, 0, x, BS), 0);
        assert_int_equal(bd_emu_dev_prog(b, 2, 0, x, BS), 0);
        assert_int_equal(bd_emu_dev_prog(other, 2, 0, x, BS), 0);
        assert_int_equal(bd_emu_flip_random(a, 2, counts[c]), 0);
        assert_int_equal(bd_emu_flip_random(b, 2, counts[c]), 0);
        assert_int_equal(bd_emu_flip_random(other, 2, counts[c]), 0);
        assert_int_equal(bd_emu_peek(a, 2, 0, y, BS), 0);
        assert_int_equal(bd_emu_peek(b, 2, 0, z, BS), 0);
        assert_memory_equal(y, z, BS);              /* same seed, same bits */
        int n = 0;
        for (int i = 0; i < BS; i++) {
            n += popcount8(x[i] ^ y[i]);            /* exactly n distinct bits */
        }
        assert_int_equal(n, counts[c]);
        assert_int_equal(bd_emu_peek(other, 2, 0, z, BS), 0);
        if (counts[c] < 8 * BS) {
            assert_memory_not_equal(y, z, BS);      /* other seed, other bits */
        }
        /* the hash matches a device that stores the same bytes directly */
        bd_emu_t *direct = make(0, BD_EMU_BAD_PROG_ERROR, 7);
        assert_int_equal(bd_emu_dev_prog(direct, 2, 0, y, BS), 0);
        assert_int_equal(bd_emu_hash(direct), bd_emu_hash(a));
        bd_emu_destroy(direct);
        bd_emu_destroy(a);
        bd_emu_destroy(b);
        bd_emu_destroy(other);
    }
    bd_emu_t *bd = make(0, BD_EMU_BAD_PROG_ERROR, 1);
    assert_int_equal(bd_emu_flip_random(bd, 1, 8 * BS + 1), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_flip_random(bd, BC, 1), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_flip_random(bd, 1, 0), 0);
    assert_int_equal(bd_emu_hash(bd), 0);
    bd_emu_destroy(bd);
}

static void test_read_disturb(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0, BD_EMU_BAD_PROG_ERROR, 3);
    uint8_t data[BS], out[BS];
    pattern(data, BS, 6);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, data, BS), 0);
    uint64_t h = bd_emu_hash(bd);

    assert_int_equal(bd_emu_set_read_disturb(bd, 1.0), 0);
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, out, BS), 0);
    for (int i = 0; i < BS; i++) {
        assert_int_equal(out[i], (uint8_t)~data[i]);
    }

    /* p = 1/100: the flip count over 200 reads of 1024 bits is near 2048,
     * and the stored data never changes */
    assert_int_equal(bd_emu_set_read_disturb(bd, 0.01), 0);
    long flips = 0;
    int reads_with_flips = 0;
    for (int n = 0; n < 200; n++) {
        assert_int_equal(bd_emu_dev_read(bd, 0, 0, out, BS), 0);
        int here = 0;
        for (int i = 0; i < BS; i++) {
            here += popcount8(out[i] ^ data[i]);
        }
        flips += here;
        reads_with_flips += here > 0;
    }
    assert_in_range(flips, 2048 - 5 * 45, 2048 + 5 * 45);   /* 5 sigma */
    assert_true(reads_with_flips > 150);
    assert_int_equal(bd_emu_hash(bd), h);
    assert_int_equal(bd_emu_peek(bd, 0, 0, out, BS), 0);
    assert_memory_equal(out, data, BS);

    assert_int_equal(bd_emu_set_read_disturb(bd, 0.0), 0);
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, out, BS), 0);
    assert_memory_equal(out, data, BS);
    assert_int_equal(bd_emu_set_read_disturb(bd, -0.1), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_set_read_disturb(bd, 1.5), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_set_read_disturb(bd, NAN), LFS_ERR_INVAL);
    bd_emu_destroy(bd);

    /* tiny probabilities: rare but present, and deterministic by seed */
    bd_emu_t *a = make(0, BD_EMU_BAD_PROG_ERROR, 11), *b = make(0, BD_EMU_BAD_PROG_ERROR, 11);
    assert_int_equal(bd_emu_set_read_disturb(a, 1e-5), 0);
    assert_int_equal(bd_emu_set_read_disturb(b, 1e-5), 0);
    long fa = 0;
    for (int n = 0; n < 2000; n++) {
        uint8_t x[BS], y[BS];
        assert_int_equal(bd_emu_dev_read(a, 1, 0, x, BS), 0);
        assert_int_equal(bd_emu_dev_read(b, 1, 0, y, BS), 0);
        assert_memory_equal(x, y, BS);
        for (int i = 0; i < BS; i++) {
            fa += popcount8((uint8_t)~x[i]);
        }
    }
    /* 2000 * 1024 bits * 1e-5 = 20.5 expected */
    assert_in_range(fa, 3, 50);
    bd_emu_destroy(a);
    bd_emu_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wear_out_at_erase_cycles),
        cmocka_unit_test(test_bad_prog_error),
        cmocka_unit_test(test_bad_erase_error),
        cmocka_unit_test(test_bad_read_error),
        cmocka_unit_test(test_bad_noops),
        cmocka_unit_test(test_bad_prog_flip),
        cmocka_unit_test(test_cut_on_bad_block),
        cmocka_unit_test(test_flip_bit),
        cmocka_unit_test(test_flip_random),
        cmocka_unit_test(test_read_disturb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
