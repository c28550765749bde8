/*
 * test_lfs_cover_ioerr.c - device errors that come back as return values
 * (the torture runner's cuts longjmp out instead): a workload touching
 * every public call is run once per device operation, with that operation
 * failing with LFS_ERR_IO. Two sweeps: the n-th read fails once (a
 * transient read error), and the device goes dead at the n-th prog, erase
 * or sync (a cut whose callback returns: that op and all after it fail).
 * Each call must return success or a negative error, never crash, and the
 * disk, powered back, must mount and traverse with the files it had
 * before the workload, "keep" under the name its last successful rename
 * gave it, and no prog may have hit bytes already progged (bd_emu strict
 * mode counts them). Format gets the same two sweeps.
 * Assumes bd_emu (test_lfs_write_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"

#define BS 512
#define BC 48

/* ---- the workload ------------------------------------------------------ */

static int errors;   /* calls that returned an error */

/* An API result: success (>= 0) or a negative error code from lfs.h. */
static long ok(long res) {
    assert_true(res >= 0 || res == LFS_ERR_IO || res == LFS_ERR_CORRUPT
            || res == LFS_ERR_NOENT || res == LFS_ERR_EXIST
            || res == LFS_ERR_NOSPC || res == LFS_ERR_NOTEMPTY
            || res == LFS_ERR_BADF || res == LFS_ERR_INVAL
            || res == LFS_ERR_NOATTR);
    if (res < 0) {
        errors += 1;
    }
    return res;
}

static int count_block(void *data, lfs_block_t block) {
    (void)block;
    *(int *)data += 1;
    return 0;
}

/* Files "keep" (inline) and "big" (three blocks), written before any fault. */
static void base(struct wdev *d) {
    static uint8_t buf[3*BS];
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    wfill(buf, sizeof(buf), 1);
    wwrite(&d->lfs, "keep", buf, 20, LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(&d->lfs, "big", buf, sizeof(buf), LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
}

/* Where "keep" is.  A rename that fails may still have taken effect (its
 * commit landed, the cleanup after it failed): then the file is at one of
 * the two names, not both, not neither. */
static const char *keep_at;
static bool keep_either;

static void keep_rename(lfs_t *lfs, const char *to) {
    if (ok(lfs_rename(lfs, keep_at, to)) >= 0) {
        keep_at = to;
        keep_either = false;
    } else if (strcmp(keep_at, to) != 0) {
        keep_either = true;
    }
}

/* Everything after a fault may fail; nothing may crash. */
static void workload(struct wdev *d) {
    static uint8_t buf[3*BS];
    static uint8_t fbuf[BS];
    lfs_t *lfs = &d->lfs;
    wfill(buf, sizeof(buf), 2);
    keep_at = "keep";
    keep_either = false;
    if (ok(lfs_mount(lfs, &d->cfg)) < 0) {
        return;
    }
    ok(lfs_mkdir(lfs, "d"));
    ok(lfs_mkdir(lfs, "d/e"));

    lfs_file_t f, g;
    struct lfs_file_config fcfg = {.buffer = fbuf};
    if (ok(lfs_file_opencfg(lfs, &f, "d/f",
            LFS_O_RDWR | LFS_O_CREAT, &fcfg)) >= 0) {
        ok(lfs_file_write(lfs, &f, buf, 40));
        ok(lfs_file_sync(lfs, &f));
        ok(lfs_file_write(lfs, &f, buf, sizeof(buf)));
        ok(lfs_file_seek(lfs, &f, 10, LFS_SEEK_SET));
        ok(lfs_file_read(lfs, &f, buf, 100));
        ok(lfs_file_truncate(lfs, &f, BS + 7));
        ok(lfs_file_sync(lfs, &f));
        ok(lfs_file_truncate(lfs, &f, 30));
        ok(lfs_file_close(lfs, &f));
    }
    if (ok(lfs_file_open(lfs, &g, "big", LFS_O_RDWR)) >= 0) {
        ok(lfs_file_read(lfs, &g, buf, 2*BS));
        ok(lfs_file_seek(lfs, &g, 0, LFS_SEEK_END));
        ok(lfs_file_write(lfs, &g, buf, 10));
        ok(lfs_file_close(lfs, &g));
    }
    // a write in the middle of a skip-list (the rest is copied after it),
    // a truncate that grows the file, a write past its end (zeros between);
    // the handle is used on after an error (no byte may be progged twice)
    if (ok(lfs_file_open(lfs, &g, "w", LFS_O_RDWR | LFS_O_CREAT)) >= 0) {
        ok(lfs_file_write(lfs, &g, buf, 2*BS + 100));
        ok(lfs_file_sync(lfs, &g));
        ok(lfs_file_seek(lfs, &g, 10, LFS_SEEK_SET));
        ok(lfs_file_write(lfs, &g, buf, 5));
        ok(lfs_file_truncate(lfs, &g, 3*BS));
        ok(lfs_file_seek(lfs, &g, 4*BS, LFS_SEEK_SET));
        ok(lfs_file_write(lfs, &g, buf, 1));
        ok(lfs_file_close(lfs, &g));
    }
    ok(lfs_remove(lfs, "w"));
    uint8_t attr[4] = {1, 2, 3, 4};
    ok(lfs_setattr(lfs, "d", 'a', attr, sizeof(attr)));
    ok(lfs_getattr(lfs, "d", 'a', attr, sizeof(attr)));
    ok(lfs_removeattr(lfs, "d", 'a'));
    ok(lfs_rename(lfs, "d/f", "d/e/f2"));
    ok(lfs_rename(lfs, "d/e", "e"));

    lfs_dir_t dir;
    if (ok(lfs_dir_open(lfs, &dir, "/")) >= 0) {
        struct lfs_info info;
        while (ok(lfs_dir_read(lfs, &dir, &info)) > 0) {
        }
        ok(lfs_dir_close(lfs, &dir));
    }
    struct lfs_info info;
    ok(lfs_stat(lfs, "e/f2", &info));
    ok(lfs_remove(lfs, "e/f2"));
    // a directory renamed over an empty one, a file over a file
    ok(lfs_mkdir(lfs, "x"));
    ok(lfs_rename(lfs, "e", "x"));
    if (ok(lfs_file_open(lfs, &g, "m", LFS_O_WRONLY | LFS_O_CREAT)) >= 0) {
        ok(lfs_file_close(lfs, &g));
    }
    // a failed rename must not lose the file (check() looks)
    keep_rename(lfs, "x/keep2");
    keep_rename(lfs, "keep");
    ok(lfs_setattr(lfs, "/", 'r', attr, sizeof(attr)));
    ok(lfs_getattr(lfs, "/", 'r', attr, sizeof(attr)));
    uint8_t fattr[4];
    struct lfs_attr fa = {.type = 'f', .buffer = fattr, .size = sizeof(fattr)};
    struct lfs_file_config acfg = {.attrs = &fa, .attr_count = 1};
    if (ok(lfs_file_opencfg(lfs, &g, keep_at, LFS_O_RDONLY, &acfg)) >= 0) {
        ok(lfs_file_close(lfs, &g));
    }
    ok(lfs_remove(lfs, "m"));
    ok(lfs_remove(lfs, "x"));
    ok(lfs_fs_size(lfs));
    ok(lfs_fs_mkconsistent(lfs));
    ok(lfs_fs_gc(lfs));
    ok(lfs_unmount(lfs));
}

/* After the fault: the disk mounts, traverses, and still holds "keep"
 * (under exactly one name, keep_at unless keep_either) and "big", as
 * written by base(). */
static void check(struct wdev *d) {
    static uint8_t want[3*BS], got[3*BS];
    lfs_t *lfs = &d->lfs;
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_block, &blocks), 0);
    assert_true(blocks >= 2);
    wfill(want, sizeof(want), 1);
    lfs_file_t f;
    const char *other = strcmp(keep_at, "keep") == 0 ? "x/keep2" : "keep";
    struct lfs_info info;
    int at = lfs_stat(lfs, keep_at, &info);
    int ot = lfs_stat(lfs, other, &info);
    if (at == 0 && ot == 0) {
        fail_msg("\"keep\" under two names");
    }
    if (at != 0 && (!keep_either || ot != 0)) {
        fail_msg("\"keep\" lost (at \"%s\": %d)", keep_at, at);
    }
    assert_int_equal(lfs_file_open(lfs, &f, at == 0 ? keep_at : other,
            LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, got, 20), 20);
    assert_memory_equal(got, want, 20);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_file_open(lfs, &f, "big", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, got, sizeof(got)),
            (lfs_ssize_t)sizeof(got));
    assert_memory_equal(got, want, sizeof(got));
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
}

/* One run; returns the number of reads (or write ops) the workload made. */

static unsigned long run_read_fault(unsigned long n, int *errs) {
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    d.cfg.read = flaky_read;
    base(&d);
    reads_seen = 0;
    read_fail_at = n;
    errors = 0;
    workload(&d);
    unsigned long total = reads_seen;
    read_fail_at = 0;
    check(&d);
    if (wdev_violations(&d) != 0) {
        fail_msg("read %lu failed: a later prog hit unerased bytes", n);
    }
    bd_emu_destroy(d.bd);
    *errs = errors;
    return total;
}

static void test_read_error_sweep(void **state) {
    (void)state;
    int errs;
    unsigned long total = run_read_fault(0, &errs);
    assert_int_equal(errs, 0);
    assert_true(total > 100);
    for (unsigned long n = 1; n <= total; n++) {
        run_read_fault(n, &errs);
        // the one failed read surfaced as at least one failed call
        if (errs == 0) {
            fail_msg("read %lu failed but no call reported it", n);
        }
    }
}

static uint64_t run_dead_device(uint64_t n, int *errs) {
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    d.cfg.read = bd_emu_read;
    base(&d);
    uint64_t start = bd_emu_write_ops(d.bd);
    if (n) {
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
    }
    errors = 0;
    workload(&d);
    uint64_t total = bd_emu_write_ops(d.bd) - start;
    bd_emu_disarm_powerloss(d.bd);
    bd_emu_power_on(d.bd);
    check(&d);
    wdev_free(&d);
    *errs = errors;
    return total;
}

static void test_dead_device_sweep(void **state) {
    (void)state;
    int errs;
    uint64_t total = run_dead_device(0, &errs);
    assert_int_equal(errs, 0);
    assert_true(total > 10);
    for (uint64_t n = 1; n <= total; n++) {
        run_dead_device(n, &errs);
        if (errs == 0) {
            fail_msg("write op %llu failed but no call reported it",
                    (unsigned long long)n);
        }
    }
}

/* Format with its n-th write op, or its n-th read, failing: LFS_ERR_IO,
 * and a format after that works. */
static void test_format_errors(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    d.cfg.read = flaky_read;
    reads_seen = 0;
    read_fail_at = 0;
    uint64_t start = bd_emu_write_ops(d.bd);
    assert_int_equal(lfs_format(&d.lfs, &d.cfg), 0);
    uint64_t writes = bd_emu_write_ops(d.bd) - start;
    unsigned long reads = reads_seen;
    assert_true(writes > 0 && reads > 0);
    for (uint64_t n = 1; n <= writes; n++) {
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
        assert_int_equal(lfs_format(&d.lfs, &d.cfg), LFS_ERR_IO);
        bd_emu_power_on(d.bd);
    }
    for (unsigned long n = 1; n <= reads; n++) {
        reads_seen = 0;
        read_fail_at = n;
        assert_int_equal(lfs_format(&d.lfs, &d.cfg), LFS_ERR_IO);
    }
    read_fail_at = 0;
    assert_int_equal(lfs_format(&d.lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    bd_emu_destroy(d.bd);
}

/* ---- writing on through a handle after a failed read-back ------------- */

/* A write in the middle of a three-block file, then a truncate that grows
 * it: the flush copies the old data after the new bytes through the
 * file's cache. If the read-back that validates a flushed cache fails, the
 * cache's bytes are on the device beyond what the handle accounts for;
 * writing on through the handle (here a seek, which flushes again) must
 * continue in a fresh block (LFS_F_MOVE), not prog them again (strict
 * bd_emu counts that; NAND forbids it).  The truncate with its n-th read
 * failing (0: none), then the handle used on; returns the truncate's
 * reads. */
static unsigned long reprog_run(unsigned long n) {
    static uint8_t buf[3*512];
    wfill(buf, sizeof(buf), 2);
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 48, 64);
    d.cfg.read = flaky_read;
    read_fail_at = 0;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "w", LFS_O_RDWR | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &f, buf, 2*512 + 100), 2*512 + 100);
    assert_int_equal(lfs_file_sync(lfs, &f), 0);
    assert_int_equal(lfs_file_seek(lfs, &f, 10, LFS_SEEK_SET), 10);
    assert_int_equal(lfs_file_write(lfs, &f, buf, 5), 5);
    reads_seen = 0;
    read_fail_at = n;
    int res = lfs_file_truncate(lfs, &f, 3*512);
    unsigned long reads = reads_seen;
    read_fail_at = 0;
    assert_int_equal(res, n ? LFS_ERR_IO : 0);
    lfs_file_seek(lfs, &f, 4*512, LFS_SEEK_SET);
    lfs_file_write(lfs, &f, buf, 1);
    lfs_file_close(lfs, &f);
    if (wdev_violations(&d) != 0) {
        fail_msg("read %lu of the truncate failed: a later write progged "
                "bytes already progged", n);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
    return reads;
}

static void test_readback_error_then_write_on(void **state) {
    (void)state;
    unsigned long reads = reprog_run(0);
    assert_true(reads > 0);
    for (unsigned long n = 1; n <= reads; n++) {
        reprog_run(n);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_read_error_sweep),
        cmocka_unit_test(test_dead_device_sweep),
        cmocka_unit_test(test_readback_error_then_write_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
