/*
 * test_lfs_cover_inline.c - an inline file larger than this mount's cache
 * (as a littlefs with a bigger cache or inline limit may leave one): read
 * whole, appended to (moved out to a block, its old bytes read from the
 * metadata), overwritten at its start (the rest copied from the metadata
 * after the new bytes) and truncated to a size that stays inline. The
 * image is built by hand with the metadata builder of test_lfs_bd.h on a
 * bd_emu device (test_lfs_write_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
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

/* Reads "f" after a remount: `size` bytes equal to `want`. */
static void expect(struct wdev *d, const uint8_t *want, lfs_size_t size) {
    static uint8_t got[2*FSIZE];
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d->lfs, &f, "f", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(&d->lfs, &f, got, sizeof(got)),
            (lfs_ssize_t)size);
    assert_memory_equal(got, want, size);
    assert_int_equal(lfs_file_close(&d->lfs, &f), 0);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    wdev_free(d);
}

static void test_read_whole(void **state) {
    (void)state;
    struct wdev d;
    build(&d);
    expect(&d, content, FSIZE);
}

static void test_append_moves_out(void **state) {
    (void)state;
    struct wdev d;
    build(&d);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d.lfs, &f, "f",
            LFS_O_WRONLY | LFS_O_APPEND), 0);
    assert_int_equal(lfs_file_write(&d.lfs, &f, "0123456789", 10), 10);
    assert_int_equal(lfs_file_close(&d.lfs, &f), 0);
    static uint8_t want[FSIZE + 10];
    memcpy(want, content, FSIZE);
    memcpy(want + FSIZE, "0123456789", 10);
    expect(&d, want, sizeof(want));
}

static void test_overwrite_start(void **state) {
    (void)state;
    struct wdev d;
    build(&d);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d.lfs, &f, "f", LFS_O_RDWR), 0);
    assert_int_equal(lfs_file_write(&d.lfs, &f, "abcd", 4), 4);
    assert_int_equal(lfs_file_close(&d.lfs, &f), 0);
    static uint8_t want[FSIZE];
    memcpy(want, content, FSIZE);
    memcpy(want, "abcd", 4);
    expect(&d, want, FSIZE);
}

static void test_truncate_stays_inline(void **state) {
    (void)state;
    struct wdev d;
    build(&d);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d.lfs, &f, "f", LFS_O_RDWR), 0);
    assert_int_equal(lfs_file_truncate(&d.lfs, &f, 50), 0);
    assert_int_equal(lfs_file_size(&d.lfs, &f), 50);
    assert_int_equal(lfs_file_close(&d.lfs, &f), 0);
    expect(&d, content, 50);
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
