/*
 * test_lfs_settle.c - commits cut with metastable bytes (lfs/lfs_settle.c).
 *
 * A power cut during a commit's last prog leaves bytes that read as
 * programmed or not at random, so the commit checks on some fetches and
 * not on others.  These tests build such states with bd_emu (a cut at
 * every write of one create, keeping those whose reads disagree) and check
 * that a write returning success after the crash stays visible on every
 * later read, that lfs_fs_mkconsistent settles every pair, and that a mount
 * writing more pairs than the ring holds settles them all once.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"

#define READS 24        /* remounts that look for a flicker */
#define TRIALS 12       /* writes after each flickering crash */

static struct wdev dev;

static void setup(void) {
    wdev_init(&dev, 1, 1, 512, 64, 16);
    assert_int_equal(lfs_format(&dev.lfs, &dev.cfg), 0);
    assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
    assert_int_equal(lfs_mkdir(&dev.lfs, "d"), 0);
    wwrite(&dev.lfs, "d/a", (const uint8_t *)"first", 5, LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&dev.lfs), 0);
}

static void create(lfs_t *lfs, const char *path, int want) {
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, path, LFS_O_WRONLY | LFS_O_CREAT);
    if (!err) {
        lfs_ssize_t n = lfs_file_write(lfs, &f, "xyz", 3);
        err = n < 0 ? (int)n : 0;
        int cerr = lfs_file_close(lfs, &f);
        err = err ? err : cerr;
    }
    if (want == 0) {
        assert_int_equal(err, 0);
    }
}

/* 1 if a fresh mount finds path, 0 if not. */
static int found(const char *path) {
    assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
    struct lfs_info info;
    int err = lfs_stat(&dev.lfs, path, &info);
    assert_true(err == 0 || err == LFS_ERR_NOENT);
    assert_int_equal(lfs_unmount(&dev.lfs), 0);
    return err == 0;
}

/* Crashed states of "create NAME" (NAME = d/b, d/bb, ...: the length moves
 * where the commit's last prog falls) under the metastable fault, at every
 * write, keeping those whose reads of NAME disagree across remounts. */
struct flicker {
    bd_emu_snapshot_t *state[8];
    char name[8][64];
    size_t n;
};

static void flicker_find(struct flicker *f, size_t cap) {
    setup();
    bd_emu_snapshot_t *start = bd_emu_snapshot(dev.bd);
    assert_non_null(start);
    f->n = 0;
    for (int len = 1; len < 48 && f->n < cap; len++) {
        char name[64] = "d/";
        memset(name + 2, 'b', (size_t)len);
        for (uint64_t cut = 1; f->n < cap; cut++) {
            assert_int_equal(bd_emu_restore(dev.bd, start), 0);
            assert_int_equal(bd_emu_arm_powerloss(dev.bd, cut,
                    BD_EMU_FAULT_METASTABLE, NULL, NULL), 0);
            assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
            create(&dev.lfs, name, -1);
            bool cutoff = !bd_emu_powered(dev.bd);
            bd_emu_disarm_powerloss(dev.bd);
            bd_emu_power_on(dev.bd);
            lfs_unmount(&dev.lfs);
            if (!cutoff) {
                break;      /* the create completed: no cut left to try */
            }
            int yes = 0;
            for (int i = 0; i < READS; i++) {
                yes += found(name);
            }
            if (yes > 0 && yes < READS) {
                f->state[f->n] = bd_emu_snapshot(dev.bd);
                assert_non_null(f->state[f->n]);
                snprintf(f->name[f->n], sizeof(f->name[0]), "%s", name);
                f->n++;
            }
        }
    }
    bd_emu_snapshot_free(start);
    assert_true(f->n > 0);      /* else the tests check nothing */
}

static void flicker_free(struct flicker *f) {
    for (size_t i = 0; i < f->n; i++) {
        bd_emu_snapshot_free(f->state[i]);
    }
    wdev_free(&dev);
}

static void test_acked_write_survives_flicker(void **state) {
    (void)state;
    struct flicker f;
    flicker_find(&f, 8);
    for (size_t s = 0; s < f.n; s++) {
        for (int t = 0; t < TRIALS; t++) {
            assert_int_equal(bd_emu_restore(dev.bd, f.state[s]), 0);
            assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
            create(&dev.lfs, "d/c", 0);
            assert_int_equal(lfs_unmount(&dev.lfs), 0);
            int b = found(f.name[s]);
            for (int i = 0; i < READS; i++) {
                assert_int_equal(found("d/c"), 1);
                assert_int_equal(found(f.name[s]), b);
            }
        }
    }
    flicker_free(&f);
}

static void test_mkconsistent_settles(void **state) {
    (void)state;
    struct flicker f;
    flicker_find(&f, 4);
    for (size_t s = 0; s < f.n; s++) {
        assert_int_equal(bd_emu_restore(dev.bd, f.state[s]), 0);
        assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
        assert_int_equal(lfs_fs_mkconsistent(&dev.lfs), 0);
        assert_int_equal(lfs_unmount(&dev.lfs), 0);
        int b = found(f.name[s]);
        for (int i = 0; i < READS; i++) {
            assert_int_equal(found(f.name[s]), b);
            assert_int_equal(found("d/a"), 1);
        }
    }
    flicker_free(&f);
}

static uint64_t erases(void) {
    struct bd_emu_counters c;
    bd_emu_counters(dev.bd, &c);
    return c.erases;
}

/* More pairs written than the ring holds: the next operation settles all
 * of them, after which a commit to any of them appends (no erase). */
static void test_ring_overflow_settles_all(void **state) {
    (void)state;
    enum { DIRS = LFS_SETTLE_RING + 4 };
    wdev_init(&dev, 16, 16, 4096, 128, 64);
    assert_int_equal(lfs_format(&dev.lfs, &dev.cfg), 0);
    assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
    char path[32];
    for (int i = 0; i < DIRS; i++) {
        snprintf(path, sizeof(path), "d%02d", i);
        assert_int_equal(lfs_mkdir(&dev.lfs, path), 0);
    }
    assert_int_equal(lfs_unmount(&dev.lfs), 0);

    assert_int_equal(lfs_mount(&dev.lfs, &dev.cfg), 0);
    uint64_t before = erases();
    for (int i = 0; i < DIRS; i++) {        /* first commits: compactions */
        snprintf(path, sizeof(path), "d%02d/f", i);
        create(&dev.lfs, path, 0);
    }
    assert_true(erases() - before >= DIRS);
    before = erases();
    for (int i = 0; i < DIRS; i++) {        /* the first settles the rest */
        snprintf(path, sizeof(path), "d%02d/g", i);
        create(&dev.lfs, path, 0);
    }
    assert_true(erases() - before <= DIRS + 2);
    before = erases();
    for (int i = 0; i < DIRS; i++) {        /* settled: appends only */
        snprintf(path, sizeof(path), "d%02d/h", i);
        create(&dev.lfs, path, 0);
    }
    assert_int_equal(erases() - before, 0);
    assert_int_equal(lfs_unmount(&dev.lfs), 0);
    wdev_free(&dev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acked_write_survives_flicker),
        cmocka_unit_test(test_mkconsistent_settles),
        cmocka_unit_test(test_ring_overflow_settles_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
