/*
 * test_bd_emu_snapshot.c - copy-on-write snapshots, restore and clone, the
 * incremental content hash, raw images, and sparse memory use.
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

static bd_emu_t *make_geom(uint32_t bs, uint32_t bc, int erase_value, uint64_t seed)
{
    struct bd_emu_config cfg = {
        .read_size = 16, .prog_size = 16, .block_size = bs, .block_count = bc,
        .erase_value = erase_value, .prog_mode = BD_EMU_PROG_STRICT, .seed = seed,
    };
    char err[200] = "";
    bd_emu_t *bd = bd_emu_create(&cfg, err, sizeof err);
    if (!bd) {
        fail_msg("create failed: %s", err);
    }
    return bd;
}

static bd_emu_t *make(int erase_value)
{
    return make_geom(256, 100, erase_value, 5);
}

static void pattern(uint8_t *buf, size_t n, uint64_t salt)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)bde_prng_next(&salt);
    }
}

static void assert_same_contents(bd_emu_t *a, bd_emu_t *b)
{
    const struct bd_emu_config *g = bd_emu_geometry(a);
    uint8_t *x = malloc(g->block_size), *y = malloc(g->block_size);
    for (uint32_t blk = 0; blk < g->block_count; blk++) {
        assert_int_equal(bd_emu_peek(a, blk, 0, x, g->block_size), 0);
        assert_int_equal(bd_emu_peek(b, blk, 0, y, g->block_size), 0);
        assert_memory_equal(x, y, g->block_size);
    }
    free(x);
    free(y);
}

static void temp_path(char *path)
{
    strcpy(path, "/tmp/bd_emu_img_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* ---- snapshots ---- */

static void test_snapshot_independent_of_later_writes(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0xff);
    uint8_t a[256], b[256], out[256];
    pattern(a, 256, 1);
    pattern(b, 256, 2);
    assert_int_equal(bd_emu_dev_prog(bd, 7, 0, a, 256), 0);
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    assert_non_null(snap);
    uint64_t h = bd_emu_hash(bd);
    assert_int_equal(bd_emu_snapshot_hash(snap), h);

    assert_int_equal(bd_emu_dev_erase(bd, 7), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 7, 0, b, 256), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 8, 0, b, 256), 0);
    assert_int_not_equal(bd_emu_hash(bd), h);
    assert_int_equal(bd_emu_snapshot_hash(snap), h);

    /* the snapshot still holds the old contents */
    bd_emu_t *view = bd_emu_clone(snap);
    assert_int_equal(bd_emu_peek(view, 7, 0, out, 256), 0);
    assert_memory_equal(out, a, 256);
    assert_int_equal(bd_emu_peek(view, 8, 0, out, 256), 0);
    for (int i = 0; i < 256; i++) {
        assert_int_equal(out[i], 0xff);
    }

    /* restore: contents and hash back; counters and wear are not rewound */
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(bd_emu_restore(bd, snap), 0);
    assert_int_equal(bd_emu_hash(bd), h);
    assert_same_contents(bd, view);
    struct bd_emu_counters k2;
    bd_emu_counters(bd, &k2);
    assert_memory_equal(&k, &k2, sizeof k);
    assert_int_equal(bd_emu_wear(bd, 7), 1);

    /* restoring twice and writing after restore leaves the snapshot intact */
    assert_int_equal(bd_emu_dev_erase(bd, 7), 0);
    assert_int_equal(bd_emu_restore(bd, snap), 0);
    assert_int_equal(bd_emu_dev_read(bd, 7, 0, out, 256), 0);
    assert_memory_equal(out, a, 256);
    bd_emu_destroy(view);
    bd_emu_snapshot_free(snap);
    bd_emu_destroy(bd);
}

static void test_clone_independent(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0x00);
    uint8_t a[256], b[256], out[256];
    pattern(a, 256, 3);
    pattern(b, 256, 4);
    assert_int_equal(bd_emu_dev_prog(bd, 1, 0, a, 256), 0);
    assert_int_equal(bd_emu_set_wear(bd, 1, 50), 0);
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    bd_emu_t *clone = bd_emu_clone(snap);
    bd_emu_snapshot_free(snap);             /* the clone does not need it */
    assert_non_null(clone);
    assert_int_equal(bd_emu_hash(clone), bd_emu_hash(bd));
    assert_int_equal(bd_emu_wear(clone, 1), 0);   /* lifetime state is fresh */
    struct bd_emu_counters k;
    bd_emu_counters(clone, &k);
    assert_int_equal(k.progs, 0);

    assert_int_equal(bd_emu_dev_erase(clone, 1), 0);
    assert_int_equal(bd_emu_dev_prog(clone, 1, 0, b, 256), 0);
    assert_int_equal(bd_emu_dev_read(bd, 1, 0, out, 256), 0);
    assert_memory_equal(out, a, 256);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, a, 256), 0);
    assert_int_equal(bd_emu_dev_read(clone, 1, 0, out, 256), 0);
    assert_memory_equal(out, b, 256);
    assert_int_equal(bd_emu_dev_read(clone, 2, 0, out, 256), 0);
    for (int i = 0; i < 256; i++) {
        assert_int_equal(out[i], 0x00);
    }

    /* a snapshot of the clone restores into the original (same lineage) */
    bd_emu_snapshot_t *csnap = bd_emu_snapshot(clone);
    assert_int_equal(bd_emu_restore(bd, csnap), 0);
    assert_same_contents(bd, clone);
    bd_emu_snapshot_free(csnap);

    /* a foreign snapshot is refused */
    bd_emu_t *stranger = make(0x00);
    bd_emu_snapshot_t *ssnap = bd_emu_snapshot(stranger);
    assert_int_equal(bd_emu_restore(bd, ssnap), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_restore(bd, NULL), LFS_ERR_INVAL);
    bd_emu_snapshot_free(ssnap);
    bd_emu_destroy(stranger);

    /* reseed: clones of one snapshot take different random choices */
    bd_emu_snapshot_t *s2 = bd_emu_snapshot(bd);
    bd_emu_t *c1 = bd_emu_clone(s2), *c2 = bd_emu_clone(s2), *c3 = bd_emu_clone(s2);
    bd_emu_reseed(c2, 1000);
    for (int i = 0; i < 3; i++) {
        bd_emu_t *c = i == 0 ? c1 : i == 1 ? c2 : c3;
        assert_int_equal(bd_emu_arm_powerloss(c, 1, BD_EMU_FAULT_TORN_BITS, NULL, NULL), 0);
        assert_int_equal(bd_emu_dev_prog(c, 5, 0, a, 256), LFS_ERR_IO);
    }
    assert_int_equal(bd_emu_hash(c1), bd_emu_hash(c3));
    assert_int_not_equal(bd_emu_hash(c1), bd_emu_hash(c2));
    bd_emu_destroy(c1);
    bd_emu_destroy(c2);
    bd_emu_destroy(c3);
    bd_emu_snapshot_free(s2);

    bd_emu_destroy(clone);
    bd_emu_destroy(bd);
}

static void test_snapshot_outlives_device(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0xff);
    uint8_t a[256], out[256];
    pattern(a, 256, 5);
    assert_int_equal(bd_emu_dev_prog(bd, 99, 0, a, 256), 0);
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    bd_emu_destroy(bd);
    bd_emu_t *clone = bd_emu_clone(snap);
    bd_emu_snapshot_free(snap);
    assert_int_equal(bd_emu_dev_read(clone, 99, 0, out, 256), 0);
    assert_memory_equal(out, a, 256);
    bd_emu_destroy(clone);
}

/* ---- the hash ---- */

static void test_hash_history_independent(void **state)
{
    (void)state;
    int values[] = { 0xff, 0x00, BD_EMU_ERASE_NONE };
    for (int v = 0; v < 3; v++) {
        bd_emu_t *x = make(values[v]), *y = make(values[v]);
        assert_int_equal(bd_emu_hash(x), 0);
        uint8_t a[256], b[256];
        pattern(a, 256, 6);
        pattern(b, 256, 7);
        /* x: a to block 3 then b to block 4; y: the other order, with detours */
        assert_int_equal(bd_emu_dev_prog(x, 3, 0, a, 256), 0);
        assert_int_equal(bd_emu_dev_prog(x, 4, 0, b, 256), 0);
        assert_int_equal(bd_emu_dev_prog(y, 4, 0, a, 256), 0);
        assert_int_equal(bd_emu_dev_prog(y, 4, 0, b, 256), 0);
        assert_int_equal(bd_emu_dev_prog(y, 3, 128, a + 128, 128), 0);
        assert_int_equal(bd_emu_dev_prog(y, 3, 0, a, 128), 0);
        assert_int_equal(bd_emu_dev_prog(y, 9, 0, b, 256), 0);
        assert_int_not_equal(bd_emu_hash(x), bd_emu_hash(y));
        if (values[v] != BD_EMU_ERASE_NONE) {
            /* erasing block 9 returns it to the baseline */
            assert_int_equal(bd_emu_dev_erase(y, 9), 0);
        } else {
            /* no baseline to return to: write the baseline bytes back */
            uint8_t base[256];
            assert_int_equal(bd_emu_peek(x, 9, 0, base, 256), 0);
            assert_int_equal(bd_emu_dev_prog(y, 9, 0, base, 256), 0);
        }
        assert_int_equal(bd_emu_hash(x), bd_emu_hash(y));
        assert_same_contents(x, y);

        /* one bit differs: hashes differ; flipping it back: equal */
        assert_int_equal(bd_emu_flip_bit(y, 50, 77), 0);
        assert_int_not_equal(bd_emu_hash(x), bd_emu_hash(y));
        assert_int_equal(bd_emu_flip_bit(y, 50, 77), 0);
        assert_int_equal(bd_emu_hash(x), bd_emu_hash(y));
        /* the same bytes at another position are another state */
        bd_emu_t *z = make(values[v]);
        assert_int_equal(bd_emu_dev_prog(z, 3, 0, b, 256), 0);
        assert_int_equal(bd_emu_dev_prog(z, 4, 0, a, 256), 0);
        assert_int_not_equal(bd_emu_hash(z), bd_emu_hash(x));
        bd_emu_destroy(x);
        bd_emu_destroy(y);
        bd_emu_destroy(z);
    }
}

static void test_hash_partial_words(void **state)
{
    (void)state;
    /* block_size 100: the last hash word of each block is partial */
    struct bd_emu_config cfg = {
        .read_size = 1, .prog_size = 1, .block_size = 100, .block_count = 5,
        .erase_value = BD_EMU_ERASE_NONE, .seed = 9,
    };
    bd_emu_t *x = bd_emu_create(&cfg, NULL, 0), *y = bd_emu_create(&cfg, NULL, 0);
    assert_non_null(x);
    assert_non_null(y);
    uint8_t base[100], one = 0x42;
    assert_int_equal(bd_emu_peek(x, 2, 0, base, 100), 0);
    assert_int_equal(bd_emu_dev_prog(x, 2, 99, &one, 1), 0);
    assert_int_not_equal(bd_emu_hash(x), 0);
    assert_int_equal(bd_emu_dev_prog(x, 2, 99, &base[99], 1), 0);
    assert_int_equal(bd_emu_hash(x), 0);
    assert_int_equal(bd_emu_dev_prog(x, 2, 97, &one, 1), 0);
    assert_int_equal(bd_emu_dev_prog(y, 2, 97, &one, 1), 0);
    assert_int_equal(bd_emu_hash(x), bd_emu_hash(y));
    bd_emu_destroy(x);
    bd_emu_destroy(y);
}

/* ---- images ---- */

static void test_image_round_trip(void **state)
{
    (void)state;
    int values[] = { 0xff, BD_EMU_ERASE_NONE };
    for (int v = 0; v < 2; v++) {
        bd_emu_t *bd = make(values[v]);
        uint8_t a[256];
        for (uint32_t b = 0; b < 100; b += 7) {
            pattern(a, 256, b);
            assert_int_equal(bd_emu_dev_erase(bd, b), 0);
            assert_int_equal(bd_emu_dev_prog(bd, b, 0, a, 128 + (b % 2) * 128), 0);
        }
        char p1[64], p2[64];
        temp_path(p1);
        temp_path(p2);
        assert_int_equal(bd_emu_save_image(bd, p1), 0);

        bd_emu_t *copy = make(values[v]);
        assert_int_equal(bd_emu_load_image(copy, p1), 0);
        assert_same_contents(bd, copy);
        assert_int_equal(bd_emu_hash(copy), bd_emu_hash(bd));
        struct bd_emu_counters k;
        bd_emu_counters(copy, &k);
        assert_int_equal(k.progs + k.erases, 0);   /* loading is not counted */

        /* saving the loaded device gives the same bytes */
        assert_int_equal(bd_emu_save_image(copy, p2), 0);
        FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb");
        assert_non_null(f1);
        assert_non_null(f2);
        long n = 0;
        int c1, c2;
        do {
            c1 = fgetc(f1);
            c2 = fgetc(f2);
            assert_int_equal(c1, c2);
            n += c1 != EOF;
        } while (c1 != EOF);
        assert_int_equal(n, 256 * 100);
        fclose(f1);
        fclose(f2);
        unlink(p1);
        unlink(p2);
        bd_emu_destroy(copy);
        bd_emu_destroy(bd);
    }
}

static void test_image_refused(void **state)
{
    (void)state;
    bd_emu_t *bd = make(0xff);
    uint8_t a[256];
    pattern(a, 256, 1);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, a, 256), 0);
    uint64_t h = bd_emu_hash(bd);

    char path[64];
    temp_path(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint8_t junk[256];
    memset(junk, 0x12, sizeof junk);
    for (int i = 0; i < 99; i++) {
        assert_int_equal(fwrite(junk, 1, 256, f), 256);
    }
    fclose(f);
    assert_int_equal(bd_emu_load_image(bd, path), LFS_ERR_INVAL);   /* short */
    f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(junk, 1, 256, f), 256);
    assert_int_equal(fwrite(junk, 1, 1, f), 1);
    fclose(f);
    assert_int_equal(bd_emu_load_image(bd, path), LFS_ERR_INVAL);   /* long */
    assert_int_equal(bd_emu_hash(bd), h);                           /* unchanged */
    uint8_t out[256];
    assert_int_equal(bd_emu_peek(bd, 0, 0, out, 256), 0);
    assert_memory_equal(out, a, 256);
    unlink(path);
    assert_int_equal(bd_emu_load_image(bd, "/nonexistent/dir/image"), LFS_ERR_IO);
    assert_int_equal(bd_emu_save_image(bd, "/nonexistent/dir/image"), LFS_ERR_IO);
    assert_int_equal(bd_emu_load_image(bd, NULL), LFS_ERR_INVAL);
    bd_emu_destroy(bd);
}

/* ---- sparse memory ---- */

static void test_sparse_memory(void **state)
{
    (void)state;
    /* 1 GiB: 262144 blocks of 4 KiB */
    bd_emu_t *bd = make_geom(4096, 262144, 0xff, 1);
    size_t empty = bd_emu_memory(bd);
    assert_true(empty < 64 * 1024);

    uint8_t a[4096];
    pattern(a, sizeof a, 1);
    uint32_t blocks[] = { 0, 1, 77777, 262143, 131072 };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(bd_emu_dev_erase(bd, blocks[i]), 0);
        assert_int_equal(bd_emu_dev_prog(bd, blocks[i], 0, a, 4096), 0);
    }
    size_t written = bd_emu_memory(bd);
    assert_true(written - empty >= 5 * 4096);
    assert_true(written < 256 * 1024);

    /* a snapshot plus a one-block write costs O(block), not O(device) */
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    assert_int_equal(bd_emu_memory(bd), written);
    assert_int_equal(bd_emu_dev_prog(bd, 77777, 0, a, 16), LFS_ERR_OK);
    size_t after = bd_emu_memory(bd);
    assert_true(after - written <= 4096 + 4 * 1024);
    bd_emu_snapshot_free(snap);

    /* erasing frees blocks again */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(bd_emu_dev_erase(bd, blocks[i]), 0);
    }
    assert_int_equal(bd_emu_dev_sync(bd), 0);
    assert_true(bd_emu_memory(bd) < written - 5 * 4096 + 4096);
    assert_int_equal(bd_emu_hash(bd), 0);

    bd_emu_destroy(bd);

    /* loading a mostly-erased image (64 MiB, to keep the file small) stays
     * sparse */
    bd_emu_t *src = make_geom(4096, 16384, 0xff, 1);
    char path[64];
    temp_path(path);
    assert_int_equal(bd_emu_dev_prog(src, 5, 0, a, 4096), 0);
    assert_int_equal(bd_emu_dev_prog(src, 16000, 0, a, 4096), 0);
    assert_int_equal(bd_emu_save_image(src, path), 0);
    bd_emu_t *loaded = make_geom(4096, 16384, 0xff, 1);
    assert_int_equal(bd_emu_load_image(loaded, path), 0);
    assert_true(bd_emu_memory(loaded) < 64 * 1024);
    assert_int_equal(bd_emu_hash(loaded), bd_emu_hash(src));
    assert_same_contents(loaded, src);
    unlink(path);
    bd_emu_destroy(loaded);
    bd_emu_destroy(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_independent_of_later_writes),
        cmocka_unit_test(test_clone_independent),
        cmocka_unit_test(test_snapshot_outlives_device),
        cmocka_unit_test(test_hash_history_independent),
        cmocka_unit_test(test_hash_partial_words),
        cmocka_unit_test(test_image_round_trip),
        cmocka_unit_test(test_image_refused),
        cmocka_unit_test(test_sparse_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
