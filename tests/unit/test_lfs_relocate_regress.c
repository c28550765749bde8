/*
 * test_lfs_relocate_regress.c - regressions for two bugs in the bookkeeping
 * around relocations that the coverage work found (both fixed in 5f70c25):
 * an operation's own orphan count cleared by the repair of nested
 * relocations in its commit, and a parent's entry id shifted twice for one
 * pending move. The device relocates a pair at every third compaction
 * (block_cycles 1) and compacts often (small metadata_max).
 * Assumes bd_emu (test_lfs_write_util.h); white-box: walks the threaded
 * list with lfs_fs_parent to find pairs no directory names.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "lfs_internal.h"

/* ---- the operation's own orphan kept through a repair ------------------ */

/* mkdir, remove and rename count their own orphan in gstate (+1), commit,
 * then uncount it (-1). If that commit relocates a pair whose parent's
 * pair relocates in turn, lfs_dir_commit repairs the half-linked pairs,
 * which clears the count; the operation's own orphan must survive that,
 * or its -1 fails with LFS_ERR_CORRUPT on a healthy device and its pair
 * leaks (fixed in 5f70c25). Reached with block_cycles 1 and a small
 * metadata_max, where relocations are frequent. */

/* 16-byte caches, a pair relocated every third compaction, compactions
 * every 256 bytes of log. */
static void relocating_fs(struct wdev *d, lfs_size_t block_count) {
    wdev_init(d, 16, 16, 512, block_count, 16);
    d->cfg.block_cycles = 1;
    d->cfg.metadata_max = 256;
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

/* Pairs on the threaded list that start a directory no entry names. */
static int parentless_pairs(lfs_t *lfs) {
    lfs_mdir_t pdir = {.split = true, .tail = {0, 1}};
    int parentless = 0;
    while (!lfs_pair_isnull(pdir.tail)) {
        lfs_mdir_t dir;
        assert_int_equal(lfs_mdir_fetch(lfs, &dir, pdir.tail), 0);
        if (!pdir.split) {
            lfs_mdir_t parent;
            if (lfs_fs_parent(lfs, pdir.tail, &parent) == LFS_ERR_NOENT) {
                parentless += 1;
            }
        }
        pdir = dir;
    }
    return parentless;
}

/* After the workload: one more write, then a fresh mount must find no
 * orphan the gstate does not count. */
static void check_no_leak(struct wdev *d) {
    lfs_t *lfs = &d->lfs;
    assert_int_equal(lfs_mkdir(lfs, "zz"), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    assert_int_equal(lfs_fs_mkconsistent(lfs), 0);
    assert_int_equal(parentless_pairs(lfs), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
}

static void put(lfs_t *lfs, const char *path) {
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, path,
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(lfs, &f, "hello", 5), 5);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
}

/* A sequence found by a workload like the random one below, then cut
 * down: its last call, removing an empty directory, failed with
 * LFS_ERR_CORRUPT. */
static void test_orphan_count_remove(void **state) {
    (void)state;
    struct wdev d;
    relocating_fs(&d, 128);
    lfs_t *lfs = &d.lfs;
    static const char *const dirs[] = {"a", "a/b", "a/b/c", "d", "a/e",
            "d/n05"};
    for (size_t i = 0; i < sizeof(dirs)/sizeof(dirs[0]); i++) {
        assert_int_equal(lfs_mkdir(lfs, dirs[i]), 0);
    }
    put(lfs, "a/b/n07");
    static const char *const more[] = {"a/n14", "a/b/n14", "d/n00",
            "a/b/n19"};
    for (size_t i = 0; i < sizeof(more)/sizeof(more[0]); i++) {
        assert_int_equal(lfs_mkdir(lfs, more[i]), 0);
    }
    put(lfs, "d/n23");
    static const char *const last[] = {"d/n08", "a/n03", "d/n01", "d/n03"};
    for (size_t i = 0; i < sizeof(last)/sizeof(last[0]); i++) {
        assert_int_equal(lfs_mkdir(lfs, last[i]), 0);
    }
    assert_int_equal(lfs_rename(lfs, "d/n03", "a/n05"), 0);
    assert_int_equal(lfs_rename(lfs, "a/b/n19", "d/n16"), 0);
    assert_int_equal(lfs_remove(lfs, "d/n23"), 0);
    put(lfs, "a/b/n05");
    put(lfs, "d/n03");
    put(lfs, "d/n09");
    assert_int_equal(lfs_rename(lfs, "a/b/n05", "d/n06"), 0);
    // an empty directory on a healthy device: must succeed
    assert_int_equal(lfs_remove(lfs, "d/n16"), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "d/n16", &info), LFS_ERR_NOENT);
    check_no_leak(&d);
    wdev_free(&d);
}

static uint32_t next(uint32_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static const char *const workdirs[5] = {"a", "a/b", "a/b/c", "d", "a/e"};

/* One of 24 names in one of the five directories. */
static void name(char out[32], uint32_t *x) {
    const char *dir = workdirs[next(x) % 5];
    unsigned n = (unsigned)(next(x) % 24);
    snprintf(out, 32, "%s/n%02u", dir, n);
}

/* A seeded workload of mkdir, remove, rename and small files in five
 * directories: on a healthy device no call may answer LFS_ERR_CORRUPT or
 * LFS_ERR_IO (about one seed in eight did, in all three operations). */
static void test_orphan_count_random(void **state) {
    (void)state;
    for (uint32_t seed = 1; seed <= 60; seed++) {
        struct wdev d;
        // room for every directory the workload can make
        relocating_fs(&d, 512);
        lfs_t *lfs = &d.lfs;
        for (int i = 0; i < 5; i++) {
            assert_int_equal(lfs_mkdir(lfs, workdirs[i]), 0);
        }
        uint32_t x = seed * 2654435761u + 7;
        for (int op = 0; op < 400; op++) {
            char p[32], q[32];
            name(p, &x);
            int kind = (int)(next(&x) % 4);
            int res;
            if (kind == 0) {
                res = lfs_mkdir(lfs, p);
            } else if (kind == 1) {
                res = lfs_remove(lfs, p);
            } else if (kind == 2) {
                name(q, &x);
                res = lfs_rename(lfs, p, q);
            } else {
                lfs_file_t f;
                res = lfs_file_open(lfs, &f, p, LFS_O_WRONLY | LFS_O_CREAT);
                if (res == 0) {
                    assert_int_equal(lfs_file_write(lfs, &f, "hello", 5), 5);
                    res = lfs_file_close(lfs, &f);
                }
            }
            if (res == LFS_ERR_CORRUPT || res == LFS_ERR_IO) {
                fail_msg("seed %u op %d (kind %d, %s): %d", (unsigned)seed,
                        op, kind, p, res);
            }
        }
        check_no_leak(&d);
        wdev_free(&d);
    }
}

/* ---- a file entry given a directory's struct ---------------------------- */

/* A rename of a file into a subdirectory, on a device with metadata_max
 * 128, left another file of the source directory ("d/f23") with a
 * DIRSTRUCT: it listed as a file and could not be opened (LFS_ERR_CORRUPT),
 * also after remount (fixed in 5f70c25). The rename's commit to "d/h"
 * splits it (the split's compaction writes the pending move to disk:
 * gdisk has it now) and then relocates it; pointing the parent's entry at
 * the new blocks found it with lfs_fs_parent, whose fetch already hides
 * the move's source (ids above it read one lower, lfs_mdir_fetchmatch),
 * and lfs_dir_fixcommit shifted that id down once more for the same move
 * (it is in gstate too): the DIRSTRUCT landed on the entry below "h".
 * Found by the workload of test_orphan_count_random restricted to files
 * (creates, renames, removes in eight directories), then cut down. */
static void test_rename_keeps_neighbour(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 256, 16);
    d.cfg.block_cycles = 1;
    d.cfg.metadata_max = 128;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    static const char *const dirs[] = {"a", "a/b", "a/b/c", "d", "a/e",
            "a/b/c/g", "d/h", "d/h/i"};
    for (size_t i = 0; i < sizeof(dirs)/sizeof(dirs[0]); i++) {
        assert_int_equal(lfs_mkdir(lfs, dirs[i]), 0);
    }
    static const char *const files[] = {"a/e/f19", "d/h/i/f10", "a/e/f13",
            "d/h/i/f05", "d/h/i/f03", "a/b/f18", "d/h/f19", "a/b/f14",
            "d/h/f02", "d/f02", "d/h/i/f01", "d/h/i/f04", "d/f15",
            "d/h/i/f00"};
    for (size_t i = 0; i < sizeof(files)/sizeof(files[0]); i++) {
        put(lfs, files[i]);
    }
    assert_int_equal(lfs_rename(lfs, "d/h/i/f01", "d/h/i/f02"), 0);
    put(lfs, "d/f17");
    assert_int_equal(lfs_rename(lfs, "d/h/i/f03", "a/b/c/g/f03"), 0);
    assert_int_equal(lfs_rename(lfs, "a/b/f14", "d/f23"), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "d/f23", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    // this rename broke "d/f23"
    assert_int_equal(lfs_rename(lfs, "d/f17", "d/h/f17"), 0);
    static const char *const after[] = {"d/f23", "d/h/f17", "d/f02",
            "d/f15"};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof(after)/sizeof(after[0]); i++) {
            struct lfs_info info;
            assert_int_equal(lfs_stat(lfs, after[i], &info), 0);
            assert_int_equal(info.type, LFS_TYPE_REG);
            assert_int_equal(lfs_file_open(lfs, &f, after[i],
                    LFS_O_RDONLY), 0);
            assert_int_equal(lfs_file_size(lfs, &f), 5);
            assert_int_equal(lfs_file_close(lfs, &f), 0);
        }
        assert_int_equal(lfs_unmount(lfs), 0);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orphan_count_remove),
        cmocka_unit_test(test_orphan_count_random),
        cmocka_unit_test(test_rename_keeps_neighbour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
