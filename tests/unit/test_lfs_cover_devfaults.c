/*
 * test_lfs_cover_devfaults.c - device faults at points the workload sweeps
 * of test_lfs_cover_ioerr and test_lfs_cover_repair do not reach, each in
 * a small scenario built to get there:
 *   - a pair dropped (the last entry of a directory's tail pair removed),
 *   - a pair split while open handles sit on the ids that move,
 *   - the superblock pair worn out, so the root moves to a new pair,
 * each with every device read failing in turn (16-byte caches, so reads
 * go to the device), then with the device dying at every prog, erase or
 * sync. Every call answers success or an lfs.h error, and the disk,
 * powered back, mounts, repairs, and holds what it held before (and each
 * file the scenario touched whole or not at all); no prog hits bytes
 * already progged. Also: a failed commit whose gstate re-read fails too,
 * then another handle's sync; a bad block in the superblock pair
 * (LFS_ERR_NOSPC, the disk as before); a full device when a pair should
 * split (it is compacted whole instead).
 * Assumes bd_emu (test_lfs_write_util.h, test_lfs_faultbd.h); white-box:
 * the gstate after repair.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"
#include "lfs_internal.h"

#define BS 512
#define BC 64

static void dev_init(struct wdev *d) {
    wdev_init(d, 16, 16, BS, BC, 16);
    d->cfg.read = flaky_read;
    d->cfg.metadata_max = 256;
    read_fail_at = 0;
}

static int errors;   /* calls that returned an error */

static long ok(long res) {
    assert_true(res >= 0 || res == LFS_ERR_IO || res == LFS_ERR_CORRUPT
            || res == LFS_ERR_NOENT || res == LFS_ERR_EXIST
            || res == LFS_ERR_NOSPC || res == LFS_ERR_BADF);
    if (res < 0) {
        errors += 1;
    }
    return res;
}

/* File name i of directory dir, and its content (it names itself). */
static void fname(char out[16], const char *dir, const char *prefix, int i) {
    snprintf(out, 16, "%s/%s%02d", dir, prefix, i);
}

static void put(lfs_t *lfs, const char *path) {
    wwrite(lfs, path, (const uint8_t *)path, strlen(path) + 1,
            LFS_O_WRONLY | LFS_O_CREAT);
}

/* path holds its own name, or (if may_miss) does not exist. */
static void expect_file(lfs_t *lfs, const char *path, bool may_miss) {
    char got[16];
    lfs_file_t f;
    int err = lfs_file_open(lfs, &f, path, LFS_O_RDONLY);
    if (err == LFS_ERR_NOENT && may_miss) {
        return;
    }
    if (err) {
        fail_msg("%s: %d", path, err);
    }
    lfs_ssize_t n = lfs_file_read(lfs, &f, got, sizeof(got));
    assert_int_equal(n, (lfs_ssize_t)strlen(path) + 1);
    assert_string_equal(got, path);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
}

/* ---- sweeping one scenario ---------------------------------------------- */

struct scenario {
    void (*setup)(struct wdev *d);  /* builds the state, leaves it mounted */
    void (*op)(lfs_t *lfs);         /* results through ok() */
    void (*check)(lfs_t *lfs);      /* on the healthy, repaired disk */
};

/* After the fault: power back, mount, repair, check, remount, check. */
static void recover(struct wdev *d, const struct scenario *s,
        const char *what, unsigned long n) {
    lfs_t *lfs = &d->lfs;
    read_fail_at = 0;
    bd_emu_disarm_powerloss(d->bd);
    bd_emu_power_on(d->bd);
    assert_int_equal(lfs_unmount(lfs), 0);
    if (lfs_mount(lfs, &d->cfg) != 0) {
        fail_msg("%s %lu: no mount", what, n);
    }
    if (lfs_fs_mkconsistent(lfs) != 0) {
        fail_msg("%s %lu: no repair", what, n);
    }
    assert_int_equal(lfs_gstate_orphans(&lfs->gstate), 0);
    assert_false(lfs_gstate_hasmove(&lfs->gstate));
    s->check(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    s->check(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    if (wdev_violations(d) != 0) {
        fail_msg("%s %lu: a prog hit bytes already progged", what, n);
    }
    bd_emu_destroy(d->bd);
}

static void sweep(const struct scenario *s) {
    struct wdev d;
    dev_init(&d);
    s->setup(&d);
    reads_seen = 0;
    uint64_t start = bd_emu_write_ops(d.bd);
    errors = 0;
    s->op(&d.lfs);
    unsigned long reads = reads_seen;
    uint64_t writes = bd_emu_write_ops(d.bd) - start;
    assert_int_equal(errors, 0);
    assert_true(reads > 0 && writes > 0);
    recover(&d, s, "clean", 0);

    for (unsigned long n = 1; n <= reads; n++) {
        dev_init(&d);
        s->setup(&d);
        reads_seen = 0;
        read_fail_at = n;
        errors = 0;
        s->op(&d.lfs);
        if (errors == 0) {
            fail_msg("read %lu failed but no call reported it", n);
        }
        recover(&d, s, "read", n);
    }
    for (uint64_t n = 1; n <= writes; n++) {
        dev_init(&d);
        s->setup(&d);
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
        errors = 0;
        s->op(&d.lfs);
        if (errors == 0) {
            fail_msg("write op %llu failed but no call reported it",
                    (unsigned long long)n);
        }
        recover(&d, s, "write op", (unsigned long)n);
    }
}

/* ---- a pair dropped ----------------------------------------------------- */

#define DROP_FILES 12
#define DROP_KEEP 6

/* A fresh filesystem, mounted, with directory "p" holding files
 * "p/f00".. "p/f<n-1>". */
static void dir_of_files(struct wdev *d, int n) {
    lfs_t *lfs = &d->lfs;
    assert_int_equal(lfs_format(lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "p"), 0);
    for (int i = 0; i < n; i++) {
        char path[16];
        fname(path, "p", "f", i);
        put(lfs, path);
    }
}

/* "p" holds DROP_FILES files, spread over several pairs. */
static void drop_setup(struct wdev *d) {
    dir_of_files(d, DROP_FILES);
}

/* Remove the upper files, last first: the tail pairs empty and drop. */
static void drop_op(lfs_t *lfs) {
    for (int i = DROP_FILES - 1; i >= DROP_KEEP; i--) {
        char path[16];
        fname(path, "p", "f", i);
        ok(lfs_remove(lfs, path));
    }
}

static void drop_check(lfs_t *lfs) {
    for (int i = 0; i < DROP_FILES; i++) {
        char path[16];
        fname(path, "p", "f", i);
        expect_file(lfs, path, i >= DROP_KEEP);
    }
}

static void test_drop_faults(void **state) {
    (void)state;
    const struct scenario s = {drop_setup, drop_op, drop_check};
    sweep(&s);
}

/* ---- a split under open handles ----------------------------------------- */

#define SPLIT_FILES 6
#define SPLIT_NEW 8

/* "p" holds SPLIT_FILES files "f..", in one pair. */
static void split_setup(struct wdev *d) {
    dir_of_files(d, SPLIT_FILES);
}

/* With every "f.." open, files "a.." (sorting first) push the pair to
 * split: the handles' ids move to the new tail; the handles then read. */
static void split_op(lfs_t *lfs) {
    lfs_file_t f[SPLIT_FILES];
    bool open[SPLIT_FILES];
    for (int i = 0; i < SPLIT_FILES; i++) {
        char path[16];
        fname(path, "p", "f", i);
        open[i] = ok(lfs_file_open(lfs, &f[i], path, LFS_O_RDONLY)) >= 0;
    }
    for (int i = 0; i < SPLIT_NEW; i++) {
        char path[16];
        fname(path, "p", "a", i);
        lfs_file_t g;
        if (ok(lfs_file_open(lfs, &g, path,
                LFS_O_WRONLY | LFS_O_CREAT)) >= 0) {
            ok(lfs_file_write(lfs, &g, path, strlen(path) + 1));
            ok(lfs_file_close(lfs, &g));
        }
    }
    for (int i = 0; i < SPLIT_FILES; i++) {
        if (!open[i]) {
            continue;
        }
        char path[16], got[16];
        fname(path, "p", "f", i);
        if (ok(lfs_file_read(lfs, &f[i], got, sizeof(got))) >= 0) {
            assert_string_equal(got, path);
        }
        ok(lfs_file_close(lfs, &f[i]));
    }
}

static void split_check(lfs_t *lfs) {
    for (int i = 0; i < SPLIT_FILES; i++) {
        char path[16];
        fname(path, "p", "f", i);
        expect_file(lfs, path, false);
    }
    for (int i = 0; i < SPLIT_NEW; i++) {
        char path[16];
        fname(path, "p", "a", i);
        struct lfs_info info;
        // a file whose write failed may exist empty
        if (lfs_stat(lfs, path, &info) == 0 && info.size > 0) {
            expect_file(lfs, path, false);
        }
    }
}

static void test_split_faults(void **state) {
    (void)state;
    const struct scenario s = {split_setup, split_op, split_check};
    sweep(&s);
}

/* ---- the superblock pair worn out --------------------------------------- */

#define ROOT_COMMITS 24

/* block_cycles 1: the superblock pair is tired at every third compaction,
 * and the root's entries then move to a new pair (while the disk has room,
 * counted by a traversal). A fresh format is one compaction short of it. */
static void expand_setup(struct wdev *d) {
    d->cfg.block_cycles = 1;
    lfs_t *lfs = &d->lfs;
    assert_int_equal(lfs_format(lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
}

static void expand_op(lfs_t *lfs) {
    lfs_file_t f;
    if (ok(lfs_file_open(lfs, &f, "k", LFS_O_WRONLY | LFS_O_CREAT)) >= 0) {
        ok(lfs_file_write(lfs, &f, "k", 2));
        ok(lfs_file_close(lfs, &f));
    }
    for (uint32_t i = 0; i < ROOT_COMMITS; i++) {
        ok(lfs_setattr(lfs, "/", 'a', &i, sizeof(i)));
    }
}

static void expand_check(lfs_t *lfs) {
    struct lfs_info info;
    if (lfs_stat(lfs, "k", &info) == 0 && info.size > 0) {
        expect_file(lfs, "k", false);
    }
    uint32_t v;
    lfs_ssize_t n = lfs_getattr(lfs, "/", 'a', &v, sizeof(v));
    assert_true(n == LFS_ERR_NOATTR || (n == sizeof(v) && v < ROOT_COMMITS));
}

static void test_expand_faults(void **state) {
    (void)state;
    const struct scenario s = {expand_setup, expand_op, expand_check};
    sweep(&s);
}

/* A fresh filesystem, mounted, holding file "k". */
static void fs_with_k(struct wdev *d) {
    dev_init(d);
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    put(&d->lfs, "k");
}

/* Powered back and remounted: "k" as written, no directory "d". */
static void expect_k_not_d(struct wdev *d) {
    lfs_t *lfs = &d->lfs;
    bd_emu_power_on(d->bd);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    expect_file(lfs, "k", false);
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "d", &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(d);
}

/* ---- a failed commit whose gstate re-read fails too --------------------- */

/* A failed commit re-reads the gstate from every pair (it may have landed
 * after all); here a second read failure hits that re-read, at each of its
 * reads in turn. The disk, powered back, is as before or as after. */
static void test_reread_faults(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = &d.lfs;
    unsigned long reads = 0;
    for (unsigned long n = 0; n == 0 || n <= reads; n++) {
        for (unsigned long k = 1; k <= (n ? 40 : 1); k++) {
            fs_with_k(&d);
            assert_int_equal(lfs_mkdir(lfs, "d"), 0);
            reads_seen = 0;
            read_fail_at = n;
            read_fail_again = n ? n + k : 0;
            errors = 0;
            ok(lfs_setattr(lfs, "d", 'a', "12", 2));
            ok(lfs_setattr(lfs, "d", 'b', "34", 2));
            if (n == 0) {
                reads = reads_seen;
                assert_int_equal(errors, 0);
            } else {
                assert_true(errors > 0);
            }
            read_fail_at = 0;
            read_fail_again = 0;
            assert_int_equal(lfs_unmount(lfs), 0);
            assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
            expect_file(lfs, "k", false);
            uint8_t v[2];
            lfs_ssize_t res = lfs_getattr(lfs, "d", 'a', v, 2);
            assert_true(res == LFS_ERR_NOATTR
                    || (res == 2 && memcmp(v, "12", 2) == 0));
            assert_int_equal(lfs_mkdir(lfs, "e"), 0);
            assert_int_equal(lfs_unmount(lfs), 0);
            assert_int_equal(wdev_violations(&d), 0);
            bd_emu_destroy(d.bd);
        }
    }
}

/* A commit fails as the device dies, and so does its gstate re-read; a
 * sync of another handle, which commits without the repairs a namespace
 * call makes first, must re-read the gstate before it writes, and fails. */
static void test_sync_after_failed_commit(void **state) {
    (void)state;
    struct wdev d;
    fs_with_k(&d);
    lfs_t *lfs = &d.lfs;
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "k", LFS_O_RDWR), 0);
    assert_int_equal(lfs_file_write(lfs, &f, "xy", 2), 2);
    assert_int_equal(bd_emu_arm_powerloss(d.bd, 1, BD_EMU_FAULT_ATOMIC,
            NULL, NULL), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), LFS_ERR_IO);
    assert_int_equal(lfs_file_sync(lfs, &f), LFS_ERR_IO);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    expect_k_not_d(&d);
}

/* ---- a bad block in the superblock pair --------------------------------- */

/* Both blocks of {0,1} fail every prog: the first commit to the root
 * cannot be written and the superblock pair cannot move, LFS_ERR_NOSPC.
 * The disk still mounts with what it had. */
static void test_superblock_pair_bad(void **state) {
    (void)state;
    struct wdev d;
    fs_with_k(&d);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(bd_emu_set_bad(d.bd, 0, 1), 0);
    assert_int_equal(bd_emu_set_bad(d.bd, 1, 1), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), LFS_ERR_NOSPC);
    expect_file(lfs, "k", false);
    assert_int_equal(lfs_unmount(lfs), 0);
    expect_k_not_d(&d);
}

/* ---- a full device when a pair should split ----------------------------- */

/* A file takes every free block; then files are created in the root until
 * its pair is full. When a compaction would split the pair there is no
 * block for the new half, so the pair is compacted whole while that fits;
 * every file created reads back after a remount. */
static void test_split_on_full_device(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, 16, 16);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    static uint8_t chunk[BS];
    wfill(chunk, sizeof(chunk), 4);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "big",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    while (lfs_file_write(lfs, &f, chunk, sizeof(chunk)) == sizeof(chunk)
            && lfs_file_sync(lfs, &f) == 0) {
    }
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    int created = 0;
    for (int i = 0; i < 100; i++) {
        char path[16];
        snprintf(path, sizeof(path), "n%02d", i);
        lfs_file_t g;
        int err = lfs_file_open(lfs, &g, path, LFS_O_WRONLY | LFS_O_CREAT);
        if (err) {
            // a create whose entry finds no room answers as littlefs does
            assert_int_equal(err, LFS_ERR_NAMETOOLONG);
            break;
        }
        assert_int_equal(lfs_file_write(lfs, &g, path, 4), 4);
        err = lfs_file_close(lfs, &g);
        if (err) {
            assert_int_equal(err, LFS_ERR_NOSPC);
            break;
        }
        created += 1;
    }
    // well past half a pair (a 16-byte entry each)
    assert_true(created * 16 > BS/2);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    for (int i = 0; i < created; i++) {
        char path[16], got[8];
        snprintf(path, sizeof(path), "n%02d", i);
        lfs_file_t g;
        assert_int_equal(lfs_file_open(lfs, &g, path, LFS_O_RDONLY), 0);
        assert_int_equal(lfs_file_read(lfs, &g, got, sizeof(got)), 4);
        assert_memory_equal(got, path, 4);
        assert_int_equal(lfs_file_close(lfs, &g), 0);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_faults),
        cmocka_unit_test(test_split_faults),
        cmocka_unit_test(test_expand_faults),
        cmocka_unit_test(test_reread_faults),
        cmocka_unit_test(test_sync_after_failed_commit),
        cmocka_unit_test(test_superblock_pair_bad),
        cmocka_unit_test(test_split_on_full_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
