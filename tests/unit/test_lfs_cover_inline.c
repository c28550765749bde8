/*
 * test_lfs_cover_inline.c - an inline file larger than this mount's cache
 * (as a littlefs with a bigger cache or inline limit may leave one): read
 * whole, appended to (moved out to a block, its old bytes read from the
 * metadata), overwritten at its start (the rest copied from the metadata
 * after the new bytes) and truncated to a size that stays inline; and each
 * of those with each of its device reads failing in turn (the reads a
 * cache holds for a smaller inline file go to the device here), which is
 * LFS_ERR_IO and leaves the file as it was or as it would be. The
 * image is built by hand with the metadata builder of test_lfs_bd.h on a
 * bd_emu device (test_lfs_write_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"

#define BS 512
#define BC 32
#define CACHE 64
#define FSIZE 100   /* > CACHE, the mount's inline limit */

static uint8_t content[FSIZE + 16];

/* Root {0,1} with the superblock and "f", FSIZE bytes inline. */
static void build(struct wdev *d) {
    static uint8_t blk[BS];
    wdev_init(d, 16, 16, BS, BC, CACHE);
    d->cfg.read = flaky_read;
    read_fail_at = 0;
    wfill(content, sizeof(content), 7);
    struct mbuilder m;
    mb_begin(&m, blk, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    mb_tag(&m, mk(0x401, 1, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 1, "f");
    mb_tag(&m, mk(LFS_TYPE_INLINESTRUCT, 1, FSIZE), content);
    mb_commit(&m, 0);
    assert_int_equal(bd_emu_dev_prog(d->bd, 0, 0, blk, BS), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

/* "f" after a remount: its size, its bytes in got. */
static lfs_ssize_t current(struct wdev *d, uint8_t *got, lfs_size_t size) {
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d->lfs, &f, "f", LFS_O_RDONLY), 0);
    lfs_ssize_t n = lfs_file_read(&d->lfs, &f, got, size);
    assert_int_equal(lfs_file_close(&d->lfs, &f), 0);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    return n;
}

/* Each operation opens "f", works on it, closes it; the first error. */
static int first_error(int err, int next) {
    return err ? err : next;
}

static int op_read(lfs_t *lfs) {
    static uint8_t got[2*FSIZE];
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, "f", LFS_O_RDONLY);
    if (err) {
        return err;
    }
    lfs_ssize_t n = lfs_file_read(lfs, &f, got, sizeof(got));
    if (n >= 0) {
        assert_int_equal(n, FSIZE);
        assert_memory_equal(got, content, FSIZE);
    }
    return first_error(n < 0 ? (int)n : 0, lfs_file_close(lfs, &f));
}

static int op_append(lfs_t *lfs) {
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, "f", LFS_O_WRONLY | LFS_O_APPEND);
    if (err) {
        return err;
    }
    lfs_ssize_t n = lfs_file_write(lfs, &f, "0123456789", 10);
    return first_error(n < 0 ? (int)n : 0, lfs_file_close(lfs, &f));
}

static int op_overwrite(lfs_t *lfs) {
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, "f", LFS_O_RDWR);
    if (err) {
        return err;
    }
    lfs_ssize_t n = lfs_file_write(lfs, &f, "abcd", 4);
    return first_error(n < 0 ? (int)n : 0, lfs_file_close(lfs, &f));
}

static int op_truncate(lfs_t *lfs) {
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, "f", LFS_O_RDWR);
    if (err) {
        return err;
    }
    err = lfs_file_truncate(lfs, &f, 50);
    if (!err) {
        assert_int_equal(lfs_file_size(lfs, &f), 50);
    }
    return first_error(err, lfs_file_close(lfs, &f));
}

/* op works and leaves "f" as want; with each of its device reads failing
 * in turn it is LFS_ERR_IO and leaves "f" as it was or as want. */
static void sweep(int (*op)(lfs_t *), const uint8_t *want, lfs_size_t size) {
    static uint8_t got[2*FSIZE];
    struct wdev d;
    build(&d);
    reads_seen = 0;
    assert_int_equal(op(&d.lfs), 0);
    unsigned long reads = reads_seen;
    assert_int_equal(current(&d, got, sizeof(got)), (lfs_ssize_t)size);
    assert_memory_equal(got, want, size);
    wdev_free(&d);
    assert_true(reads > 0);
    for (unsigned long n = 1; n <= reads; n++) {
        build(&d);
        reads_seen = 0;
        read_fail_at = n;
        assert_int_equal(op(&d.lfs), LFS_ERR_IO);
        read_fail_at = 0;
        lfs_ssize_t now = current(&d, got, sizeof(got));
        bool old = now == FSIZE && memcmp(got, content, FSIZE) == 0;
        bool done = now == (lfs_ssize_t)size && memcmp(got, want, size) == 0;
        if (!old && !done) {
            fail_msg("read %lu failed: \"f\" is neither old nor new", n);
        }
        wdev_free(&d);
    }
}

static void test_read_whole(void **state) {
    (void)state;
    sweep(op_read, content, FSIZE);
}

static void test_append_moves_out(void **state) {
    (void)state;
    static uint8_t want[FSIZE + 10];
    memcpy(want, content, FSIZE);
    memcpy(want + FSIZE, "0123456789", 10);
    sweep(op_append, want, sizeof(want));
}

static void test_overwrite_start(void **state) {
    (void)state;
    static uint8_t want[FSIZE];
    memcpy(want, content, FSIZE);
    memcpy(want, "abcd", 4);
    sweep(op_overwrite, want, FSIZE);
}

static void test_truncate_stays_inline(void **state) {
    (void)state;
    sweep(op_truncate, content, 50);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_whole),
        cmocka_unit_test(test_append_moves_out),
        cmocka_unit_test(test_overwrite_start),
        cmocka_unit_test(test_truncate_stays_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
