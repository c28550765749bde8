/*
 * test_lfs_cover_api.c - the public wrappers' argument checks: every call
 * given a NULL where it needs a pointer (or a NULL buffer with a nonzero
 * size) answers LFS_ERR_INVAL without touching the filesystem, and a
 * handle used against its open mode answers LFS_ERR_BADF; the mounted
 * filesystem is unharmed afterwards. A NULL buffer of size 0 is a valid
 * empty transfer; unknown open flags and seek whences are LFS_ERR_INVAL;
 * a file cannot be named with a trailing slash, nor the root renamed; an
 * open file's attribute resized to 0x3ff by the caller is removed at sync.
 * Assumes a bd_emu device (test_lfs_write_util.h).
 */
#include "test_lfs_write_util.h"

static int count_block(void *data, lfs_block_t block) {
    (void)block;
    *(int *)data += 1;
    return 0;
}

static void test_null_arguments(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 64, 64);
    lfs_t *lfs = &d.lfs;
    struct lfs_config *cfg = &d.cfg;
    assert_int_equal(lfs_format(NULL, cfg), LFS_ERR_INVAL);
    assert_int_equal(lfs_format(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_mount(NULL, cfg), LFS_ERR_INVAL);
    assert_int_equal(lfs_mount(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_format(lfs, cfg), 0);
    assert_int_equal(lfs_mount(lfs, cfg), 0);

    struct lfs_info info;
    struct lfs_fsinfo fsinfo;
    lfs_file_t f;
    lfs_dir_t dir;
    char buf[8];
    assert_int_equal(lfs_stat(NULL, "/", &info), LFS_ERR_INVAL);
    assert_int_equal(lfs_stat(lfs, NULL, &info), LFS_ERR_INVAL);
    assert_int_equal(lfs_stat(lfs, "/", NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_getattr(NULL, "/", 1, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_getattr(lfs, NULL, 1, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_getattr(lfs, "/", 1, NULL, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_setattr(NULL, "/", 1, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_setattr(lfs, NULL, 1, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_setattr(lfs, "/", 1, NULL, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_removeattr(NULL, "/", 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_removeattr(lfs, NULL, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_mkdir(NULL, "d"), LFS_ERR_INVAL);
    assert_int_equal(lfs_mkdir(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_remove(NULL, "d"), LFS_ERR_INVAL);
    assert_int_equal(lfs_remove(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_rename(NULL, "a", "b"), LFS_ERR_INVAL);
    assert_int_equal(lfs_rename(lfs, NULL, "b"), LFS_ERR_INVAL);
    assert_int_equal(lfs_rename(lfs, "a", NULL), LFS_ERR_INVAL);

    assert_int_equal(lfs_file_open(NULL, &f, "f", LFS_O_RDONLY),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_file_open(lfs, NULL, "f", LFS_O_RDONLY),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_file_open(lfs, &f, NULL, LFS_O_RDONLY),
            LFS_ERR_INVAL);
    struct lfs_file_config fcfg = {.attr_count = 1, .attrs = NULL};
    assert_int_equal(lfs_file_opencfg(lfs, &f, "f",
            LFS_O_RDWR | LFS_O_CREAT, &fcfg), LFS_ERR_INVAL);
    struct lfs_attr attr = {.type = 1, .buffer = NULL, .size = 4};
    fcfg.attrs = &attr;
    assert_int_equal(lfs_file_opencfg(lfs, &f, "f",
            LFS_O_RDWR | LFS_O_CREAT, &fcfg), LFS_ERR_INVAL);

    assert_int_equal(lfs_file_close(NULL, &f), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_close(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_read(NULL, &f, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_read(lfs, NULL, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_read(lfs, &f, NULL, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_write(NULL, &f, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_write(lfs, NULL, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_write(lfs, &f, NULL, 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_sync(NULL, &f), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_sync(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_seek(NULL, &f, 0, LFS_SEEK_SET), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_seek(lfs, NULL, 0, LFS_SEEK_SET), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_tell(NULL, &f), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_tell(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_rewind(NULL, &f), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_size(NULL, &f), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_size(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_truncate(NULL, &f, 0), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_truncate(lfs, NULL, 0), LFS_ERR_INVAL);

    assert_int_equal(lfs_dir_open(NULL, &dir, "/"), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_open(lfs, NULL, "/"), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_open(lfs, &dir, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_close(NULL, &dir), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_close(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_read(NULL, &dir, &info), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_read(lfs, NULL, &info), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_read(lfs, &dir, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_seek(NULL, &dir, 0), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_seek(lfs, NULL, 0), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_tell(NULL, &dir), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_tell(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_rewind(NULL, &dir), LFS_ERR_INVAL);
    assert_int_equal(lfs_dir_rewind(lfs, NULL), LFS_ERR_INVAL);

    int blocks = 0;
    assert_int_equal(lfs_fs_stat(NULL, &fsinfo), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_stat(lfs, NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_size(NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_traverse(NULL, count_block, &blocks),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_traverse(lfs, NULL, &blocks), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_mkconsistent(NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_gc(NULL), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_grow(NULL, 64), LFS_ERR_INVAL);
    assert_int_equal(lfs_unmount(NULL), LFS_ERR_INVAL);

    // nothing was created, and the filesystem still works
    assert_int_equal(lfs_stat(lfs, "f", &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_fs_traverse(lfs, count_block, &blocks), 0);
    assert_int_equal(blocks, 2);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* A freshly formatted filesystem on d, mounted. */
static lfs_t *mounted_fs(struct wdev *d) {
    wdev_init(d, 16, 16, 512, 64, 64);
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    return &d->lfs;
}

static void test_wrong_mode(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = mounted_fs(&d);
    lfs_file_t f;
    char buf[4] = "abc";
    assert_int_equal(lfs_file_open(lfs, &f, "f",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, 1), LFS_ERR_BADF);
    assert_int_equal(lfs_file_write(lfs, &f, buf, 3), 3);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_file_open(lfs, &f, "f", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_write(lfs, &f, buf, 1), LFS_ERR_BADF);
    assert_int_equal(lfs_file_truncate(lfs, &f, 0), LFS_ERR_BADF);
    assert_int_equal(lfs_file_size(lfs, &f), 3);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* The other side of those checks: a NULL buffer with size 0 is a valid
 * empty transfer, a read-only handle may be synced; open flags and seek
 * whences outside the API are LFS_ERR_INVAL. */
static void test_empty_and_unknown(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = mounted_fs(&d);
    lfs_file_t f;
    assert_int_equal(lfs_getattr(lfs, "/", 'e', NULL, 0), LFS_ERR_NOATTR);
    assert_int_equal(lfs_setattr(lfs, "/", 'e', NULL, 0), 0);
    assert_int_equal(lfs_getattr(lfs, "/", 'e', NULL, 0), 0);
    // a size query: NULL, 0 on an attribute with contents gives its size
    assert_int_equal(lfs_setattr(lfs, "/", 'g', "xyz", 3), 0);
    assert_int_equal(lfs_getattr(lfs, "/", 'g', NULL, 0), 3);

    struct lfs_attr attr = {.type = 'e', .buffer = NULL, .size = 0};
    struct lfs_file_config fcfg = {.attrs = &attr, .attr_count = 1};
    assert_int_equal(lfs_file_opencfg(lfs, &f, "f",
            LFS_O_RDWR | LFS_O_CREAT, &fcfg), 0);
    assert_int_equal(lfs_file_write(lfs, &f, NULL, 0), 0);
    assert_int_equal(lfs_file_write(lfs, &f, "abc", 3), 3);
    assert_int_equal(lfs_file_seek(lfs, &f, 0, LFS_SEEK_SET), 0);
    assert_int_equal(lfs_file_read(lfs, &f, NULL, 0), 0);
    assert_int_equal(lfs_file_seek(lfs, &f, 0, 3), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_seek(lfs, &f, 0, -1), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_tell(lfs, &f), 0);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    // the empty attribute was written with the file
    assert_int_equal(lfs_getattr(lfs, "f", 'e', NULL, 0), 0);

    assert_int_equal(lfs_file_open(lfs, &f, "f", 0), LFS_ERR_INVAL);
    assert_int_equal(lfs_file_open(lfs, &f, "f", LFS_O_RDWR | 0x10000000),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_file_open(lfs, &f, "g",
            LFS_O_WRONLY | LFS_O_CREAT | 0x10000000), LFS_ERR_INVAL);
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "g", &info), LFS_ERR_NOENT);
    // a trailing slash names a directory: no file by that name
    assert_int_equal(lfs_file_open(lfs, &f, "g/",
            LFS_O_WRONLY | LFS_O_CREAT), LFS_ERR_NOTDIR);
    assert_int_equal(lfs_rename(lfs, "f", "g/"), LFS_ERR_NOTDIR);
    // ... but may name a directory
    assert_int_equal(lfs_mkdir(lfs, "dd"), 0);
    assert_int_equal(lfs_rename(lfs, "dd", "de/"), 0);
    assert_int_equal(lfs_stat(lfs, "de", &info), 0);
    assert_int_equal(info.type, LFS_TYPE_DIR);
    // the root is neither renamed nor replaced
    assert_int_equal(lfs_rename(lfs, "/", "g"), LFS_ERR_INVAL);
    assert_int_equal(lfs_rename(lfs, "f", "/"), LFS_ERR_INVAL);
    assert_int_equal(lfs_stat(lfs, "g", &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_stat(lfs, "f", &info), 0);

    char buf[4];
    assert_int_equal(lfs_file_open(lfs, &f, "f", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, 2), 2);
    assert_int_equal(lfs_file_sync(lfs, &f), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf + 2, 2), 1);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* The attributes given at open are written at every sync, with the sizes
 * they have then: one whose size the caller sets to 0x3ff (the size that
 * marks a deleted tag) after open is removed. The first commit after a
 * mount rewrites the whole pair, which leaves such an attribute out. */
static void test_attr_resized_to_delete(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = mounted_fs(&d);
    uint8_t value[4] = {1, 2, 3, 4};
    struct lfs_attr attr = {.type = 'a', .buffer = value, .size = 4};
    struct lfs_file_config fcfg = {.attrs = &attr, .attr_count = 1};
    lfs_file_t f;
    assert_int_equal(lfs_file_opencfg(lfs, &f, "f",
            LFS_O_WRONLY | LFS_O_CREAT, &fcfg), 0);
    assert_int_equal(lfs_file_write(lfs, &f, "abc", 3), 3);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    uint8_t got[4];
    assert_int_equal(lfs_getattr(lfs, "f", 'a', got, 4), 4);
    assert_memory_equal(got, value, 4);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_file_opencfg(lfs, &f, "f", LFS_O_WRONLY, &fcfg), 0);
    attr.size = 0x3ff;
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_getattr(lfs, "f", 'a', got, 4), LFS_ERR_NOATTR);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_getattr(lfs, "f", 'a', got, 4), LFS_ERR_NOATTR);
    char buf[4];
    assert_int_equal(lfs_file_open(lfs, &f, "f", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, 4), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_wrong_mode),
        cmocka_unit_test(test_empty_and_unknown),
        cmocka_unit_test(test_attr_resized_to_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
