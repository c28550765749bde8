/*
 * test_lfs_cover_traverse.c - lfs_fs_traverse and lfs_fs_size when
 * something fails half-way: the user's callback returning an error at its
 * n-th call (the walk stops and returns exactly that value), or the n-th
 * device read failing (LFS_ERR_IO, or the walk reports every block anyway
 * if the read was not needed). The tree walked has files in skip-lists of
 * several blocks, directories, and open handles whose blocks are not yet
 * in the metadata: one written past its synced size, one never synced,
 * one flushed but not synced, one filling exactly its first block, one
 * inline, and an open directory. Afterwards the handles still close and
 * the files read back whole.
 * Assumes a bd_emu device (test_lfs_write_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"

#define BS 512
#define BC 64

/* The callback: counts calls, and fails the fail_at-th with CB_ERROR. */
#define CB_ERROR (-4242)

struct counter {
    unsigned long calls;
    unsigned long fail_at;   /* 0: never */
};

static int count_cb(void *data, lfs_block_t block) {
    struct counter *c = data;
    assert_true(block < BC);
    c->calls += 1;
    return c->calls == c->fail_at ? CB_ERROR : 0;
}

static uint8_t content[5*BS];

struct tree {
    struct wdev d;
    lfs_file_t grown;   /* "grown": synced at 2 blocks, written to 4 */
    lfs_file_t fresh;   /* "d/fresh": 3 blocks, never synced */
    lfs_file_t flushed; /* "flushed": 3 blocks, flushed by a seek */
    lfs_file_t one;     /* "one": exactly one block, never synced */
    lfs_file_t tiny;    /* "tiny": 10 bytes, inline */
    lfs_dir_t dir;      /* "d", open */
};

static void build(struct tree *t) {
    struct wdev *d = &t->d;
    lfs_t *lfs = &d->lfs;
    wdev_init(d, 16, 16, BS, BC, 64);
    d->cfg.read = flaky_read;
    read_fail_at = 0;
    wfill(content, sizeof(content), 11);
    assert_int_equal(lfs_format(lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), 0);
    assert_int_equal(lfs_mkdir(lfs, "d/e"), 0);
    wwrite(lfs, "big", content, sizeof(content), LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(lfs, "d/e/f", content, 2*BS + 5, LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(lfs, "d/small", content, 20, LFS_O_WRONLY | LFS_O_CREAT);

    assert_int_equal(lfs_file_open(lfs, &t->grown, "grown",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &t->grown, content, 2*BS), 2*BS);
    assert_int_equal(lfs_file_sync(lfs, &t->grown), 0);
    assert_int_equal(lfs_file_write(lfs, &t->grown, content + 2*BS, 2*BS),
            2*BS);
    assert_int_equal(lfs_file_open(lfs, &t->fresh, "d/fresh",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &t->fresh, content, 3*BS), 3*BS);
    assert_int_equal(lfs_file_open(lfs, &t->flushed, "flushed",
            LFS_O_RDWR | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &t->flushed, content, 3*BS), 3*BS);
    assert_int_equal(lfs_file_seek(lfs, &t->flushed, 0, LFS_SEEK_SET), 0);
    assert_int_equal(lfs_file_open(lfs, &t->one, "one",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &t->one, content, BS), BS);
    assert_int_equal(lfs_file_open(lfs, &t->tiny, "tiny",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &t->tiny, content, 10), 10);
    assert_int_equal(lfs_dir_open(lfs, &t->dir, "d"), 0);
}

/* Close the handles (their data is then on disk) and read everything. */
static void finish(struct tree *t) {
    struct wdev *d = &t->d;
    lfs_t *lfs = &d->lfs;
    read_fail_at = 0;
    assert_int_equal(lfs_file_close(lfs, &t->grown), 0);
    assert_int_equal(lfs_file_close(lfs, &t->fresh), 0);
    assert_int_equal(lfs_file_close(lfs, &t->flushed), 0);
    assert_int_equal(lfs_file_close(lfs, &t->one), 0);
    assert_int_equal(lfs_file_close(lfs, &t->tiny), 0);
    assert_int_equal(lfs_dir_close(lfs, &t->dir), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    wcheck(lfs, "big", content, sizeof(content));
    wcheck(lfs, "d/e/f", content, 2*BS + 5);
    wcheck(lfs, "d/small", content, 20);
    wcheck(lfs, "grown", content, 4*BS);
    wcheck(lfs, "d/fresh", content, 3*BS);
    wcheck(lfs, "flushed", content, 3*BS);
    wcheck(lfs, "one", content, BS);
    wcheck(lfs, "tiny", content, 10);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(d);
}

static void test_callback_errors(void **state) {
    (void)state;
    struct tree t;
    build(&t);
    struct counter c = {0, 0};
    assert_int_equal(lfs_fs_traverse(&t.d.lfs, count_cb, &c), 0);
    unsigned long total = c.calls;
    // superblock pair, two directory pairs, 6+3 file blocks, 4+3+3+1 open
    assert_true(total >= 2 + 2*2 + 9 + 11);
    lfs_ssize_t size = lfs_fs_size(&t.d.lfs);
    assert_true(size > 0 && (unsigned long)size <= total);
    finish(&t);

    for (unsigned long n = 1; n <= total; n++) {
        build(&t);
        c.calls = 0;
        c.fail_at = n;
        if (lfs_fs_traverse(&t.d.lfs, count_cb, &c) != CB_ERROR) {
            fail_msg("callback failed at call %lu: error not returned", n);
        }
        // it stopped there
        assert_int_equal(c.calls, n);
        finish(&t);
    }
}

static void test_read_errors(void **state) {
    (void)state;
    struct tree t;
    build(&t);
    struct counter c = {0, 0};
    reads_seen = 0;
    assert_int_equal(lfs_fs_traverse(&t.d.lfs, count_cb, &c), 0);
    unsigned long total = c.calls;
    unsigned long reads = reads_seen;
    reads_seen = 0;
    lfs_ssize_t size = lfs_fs_size(&t.d.lfs);
    unsigned long sizereads = reads_seen;
    finish(&t);
    assert_true(reads > 0 && sizereads > 0 && size > 0);

    for (unsigned long n = 1; n <= reads; n++) {
        build(&t);
        c.calls = 0;
        c.fail_at = 0;
        reads_seen = 0;
        read_fail_at = n;
        int err = lfs_fs_traverse(&t.d.lfs, count_cb, &c);
        assert_true(err == LFS_ERR_IO || (err == 0 && c.calls == total));
        finish(&t);
    }
    for (unsigned long n = 1; n <= sizereads; n++) {
        build(&t);
        reads_seen = 0;
        read_fail_at = n;
        lfs_ssize_t res = lfs_fs_size(&t.d.lfs);
        assert_true(res == LFS_ERR_IO || res == size);
        finish(&t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callback_errors),
        cmocka_unit_test(test_read_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
