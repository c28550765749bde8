/*
 * test_lfs_known_bugs.c - core bugs found and not yet fixed, each as the
 * test that fails until it is. Skipped (cmocka skip) unless the
 * environment sets BROWNOUT_KNOWN_BUGS=1, so `make test` stays green and
 * lists them as skipped. When a bug is fixed, drop its skip and move the
 * test next to the area it guards (as test_lfs_relocate_regress.c holds
 * the first two found). docs/coverage.md ("Bugs found") has the details:
 *   - bytes progged twice when a file write goes on after a failed
 *     read-back.
 * Assumes bd_emu (test_lfs_write_util.h, test_lfs_faultbd.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"

static void skip_unless_asked(void) {
    const char *env = getenv("BROWNOUT_KNOWN_BUGS");
    if (!env || strcmp(env, "1") != 0) {
        skip();
    }
}

/* ---- bytes progged twice after a failed read-back ----------------------- */

/* A write in the middle of a three-block file, then a truncate that grows
 * it: the flush copies the old data after the new bytes through the
 * file's cache. If the read-back that validates a flushed cache fails,
 * lfs_bd_flush (lfs_prog.c) has progged the cache and drops it, but the
 * file's position stays where that write started; writing on through the
 * handle (here a seek, which flushes again) progs the same bytes again,
 * which strict bd_emu counts as a violation (NAND forbids it). Each read of
 * the truncate fails in turn; the handle is then used on. */
/* The truncate with its n-th read failing (0: none), then the handle used
 * on; returns the truncate's reads. */
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

static void test_known_bug_reprog_after_failed_readback(void **state) {
    (void)state;
    skip_unless_asked();
    unsigned long reads = reprog_run(0);
    assert_true(reads > 0);
    for (unsigned long n = 1; n <= reads; n++) {
        reprog_run(n);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bug_reprog_after_failed_readback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
