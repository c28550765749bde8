/*
 * test_lfs_write_faults.c - the write path under trouble: power cut at
 * every write of a small workload (the tree after remount is the state
 * before or after the interrupted operation), bad blocks (prog and erase
 * errors, progs that silently do not stick) relocated around, a full disk
 * (LFS_ERR_NOSPC, then usable again), and golden littlefs images mounted
 * read-write, extended, and read back (a pending move completed at the
 * first write).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_bd.h"
#include "lfs_internal.h"

/* ---- tree snapshots: every path with type, size, and content CRC ------ */

#define MAXSNAP 1024

struct snapent {
    char path[2*LFS_NAME_MAX];
    uint8_t type;
    uint32_t size;
    uint32_t crc;
};

struct snap {
    struct snapent e[MAXSNAP];
    int n;
};

static void snap_dir(lfs_t *lfs, const char *path, struct snap *s) {
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(lfs, &dir, path), 0);
    struct lfs_info info;
    int start = s->n;
    while (true) {
        int res = lfs_dir_read(lfs, &dir, &info);
        assert_true(res >= 0);
        if (res == 0) {
            break;
        }
        if (!strcmp(info.name, ".") || !strcmp(info.name, "..")) {
            continue;
        }
        assert_true(s->n < MAXSNAP);
        struct snapent *e = &s->e[s->n++];
        snprintf(e->path, sizeof(e->path), "%s%s%s", path,
                strcmp(path, "/") ? "/" : "", info.name);
        e->type = info.type;
        e->size = info.size;
        e->crc = 0;
        if (info.type == LFS_TYPE_REG) {
            lfs_file_t f;
            assert_int_equal(lfs_file_open(lfs, &f, e->path, LFS_O_RDONLY), 0);
            uint8_t buf[256];
            uint32_t total = 0;
            while (true) {
                lfs_ssize_t n = lfs_file_read(lfs, &f, buf, sizeof(buf));
                assert_true(n >= 0);
                if (n == 0) {
                    break;
                }
                e->crc = lfs_crc(e->crc, buf, (size_t)n);
                total += (uint32_t)n;
            }
            assert_int_equal(total, info.size);
            assert_int_equal(lfs_file_close(lfs, &f), 0);
        }
    }
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    int end = s->n;
    for (int i = start; i < end; i++) {
        if (s->e[i].type == LFS_TYPE_DIR) {
            char sub[2*LFS_NAME_MAX];
            snprintf(sub, sizeof(sub), "%s", s->e[i].path);
            snap_dir(lfs, sub, s);
        }
    }
}

static void snap_take(lfs_t *lfs, struct snap *s) {
    s->n = 0;
    snap_dir(lfs, "/", s);
}

static bool snap_equal(const struct snap *a, const struct snap *b) {
    if (a->n != b->n) {
        return false;
    }
    for (int i = 0; i < a->n; i++) {
        bool found = false;
        for (int j = 0; j < b->n && !found; j++) {
            found = !strcmp(a->e[i].path, b->e[j].path)
                    && a->e[i].type == b->e[j].type
                    && a->e[i].size == b->e[j].size
                    && a->e[i].crc == b->e[j].crc;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* ---- a small workload, one operation per step --------------------------- */

#define NSTEPS 9

/* Write n bytes to path opened with flags, then close (one sync). */
static int put(lfs_t *lfs, const char *path, int flags, size_t n) {
    static uint8_t data[1500];
    wfill(data, sizeof(data), 7);
    // a static file buffer: a power cut abandons the open file
    static uint8_t fbuf[64];
    const struct lfs_file_config fcfg = {fbuf, NULL, 0};
    lfs_file_t f;
    int err = lfs_file_opencfg(lfs, &f, path, flags, &fcfg);
    if (err) {
        return err;
    }
    if (n && lfs_file_write(lfs, &f, data, (lfs_size_t)n) != (lfs_ssize_t)n) {
        err = LFS_ERR_IO;
    }
    int cerr = lfs_file_close(lfs, &f);
    return err ? err : cerr;
}

/* Each step is one filesystem operation as far as durability goes: a
 * create (which commits the empty file), a write synced by close, a
 * rename, a remove. */
static int workload_step(lfs_t *lfs, int step) {
    switch (step) {
    case 0: return lfs_mkdir(lfs, "/a");
    case 1: return put(lfs, "/a/f", LFS_O_WRONLY | LFS_O_CREAT, 0);
    case 2: return put(lfs, "/a/f", LFS_O_WRONLY, 300);
    case 3: return put(lfs, "/h", LFS_O_WRONLY | LFS_O_CREAT, 0);
    case 4: return put(lfs, "/h", LFS_O_WRONLY, 1500);
    case 5: return lfs_rename(lfs, "/a/f", "/g");
    case 6: return lfs_rename(lfs, "/h", "/g");
    case 7: return lfs_remove(lfs, "/a");
    case 8: return put(lfs, "/g", LFS_O_WRONLY | LFS_O_APPEND, 700);
    }
    return LFS_ERR_INVAL;
}

static jmp_buf cut_jmp;

static void cut_cb(void *ctx) {
    (void)ctx;
    longjmp(cut_jmp, 1);
}

static void run_powerloss(enum bd_emu_fault fault) {
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 64, 64);
    lfs_t *lfs = &d.lfs;

    // the states before and after each step, and how many writes each takes
    static struct snap states[NSTEPS + 1];
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    bd_emu_snapshot_t *fresh = bd_emu_snapshot(d.bd);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    snap_take(lfs, &states[0]);
    uint64_t start = bd_emu_write_ops(d.bd);
    for (int i = 0; i < NSTEPS; i++) {
        assert_int_equal(workload_step(lfs, i), 0);
        snap_take(lfs, &states[i + 1]);
    }
    uint64_t total = bd_emu_write_ops(d.bd) - start;
    assert_int_equal(lfs_unmount(lfs), 0);

    for (uint64_t n = 1; n <= total; n++) {
        assert_int_equal(bd_emu_restore(d.bd, fresh), 0);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        volatile int step = 0;
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, fault, cut_cb, NULL),
                0);
        if (!setjmp(cut_jmp)) {
            for (; step < NSTEPS; step++) {
                assert_int_equal(workload_step(lfs, step), 0);
            }
            fail_msg("cut %llu never fired", (unsigned long long)n);
        }
        // power back: the lfs_t of the cut mount is abandoned
        lfs_deinit(lfs);
        bd_emu_power_on(d.bd);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        static struct snap now;
        snap_take(lfs, &now);
        if (!snap_equal(&now, &states[step])
                && !snap_equal(&now, &states[step + 1])) {
            fail_msg("cut at write %llu in step %d: tree is neither before "
                    "nor after", (unsigned long long)n, step);
        }
        // the filesystem repairs itself and goes on
        assert_int_equal(lfs_mkdir(lfs, "/after"), 0);
        assert_int_equal(lfs_unmount(lfs), 0);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        assert_int_equal(lfs_gstate_orphans(&lfs->gdisk), 0);
        assert_false(lfs_gstate_hasmove(&lfs->gdisk));
        struct lfs_info info;
        assert_int_equal(lfs_stat(lfs, "/after", &info), 0);
        assert_int_equal(lfs_unmount(lfs), 0);
    }
    bd_emu_snapshot_free(fresh);
    bd_emu_destroy(d.bd);
}

static void test_powerloss_atomic(void **state) {
    (void)state;
    run_powerloss(BD_EMU_FAULT_ATOMIC);
}

static void test_powerloss_torn(void **state) {
    (void)state;
    run_powerloss(BD_EMU_FAULT_TORN_PREFIX);
}

/* ---- bad blocks -------------------------------------------------------- */

static void run_badblocks(enum bd_emu_bad_behavior behavior) {
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 128, 64);
    assert_int_equal(bd_emu_set_bad_behavior(d.bd, behavior), 0);
    for (uint32_t b = 2; b < 128; b += 5) {
        assert_int_equal(bd_emu_set_bad(d.bd, b, 1), 0);
    }
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    static struct snap before, after;
    for (int i = 0; i < NSTEPS; i++) {
        assert_int_equal(workload_step(lfs, i), 0);
    }
    for (int i = 0; i < 20; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/x%d", i);
        static uint8_t data[900];
        wfill(data, sizeof(data), (uint32_t)i);
        wwrite(lfs, path, data, (size_t)(i * 45), LFS_O_WRONLY | LFS_O_CREAT);
        wcheck(lfs, path, data, (size_t)(i * 45));
    }
    snap_take(lfs, &before);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    snap_take(lfs, &after);
    assert_true(snap_equal(&before, &after));
    assert_int_equal(lfs_unmount(lfs), 0);
    if (behavior == BD_EMU_BAD_PROG_NOOP || behavior == BD_EMU_BAD_PROG_FLIP) {
        // progs that did not stick land on bad blocks only
        bd_emu_destroy(d.bd);
    } else {
        wdev_free(&d);
    }
}

static void test_bad_prog_error(void **state) {
    (void)state;
    run_badblocks(BD_EMU_BAD_PROG_ERROR);
}

static void test_bad_erase_error(void **state) {
    (void)state;
    run_badblocks(BD_EMU_BAD_ERASE_ERROR);
}

static void test_bad_prog_noop(void **state) {
    (void)state;
    run_badblocks(BD_EMU_BAD_PROG_NOOP);
}

/* ---- a full disk ------------------------------------------------------- */

static void test_nospc(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 32, 64);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    static uint8_t data[2048];
    wfill(data, sizeof(data), 3);
    wwrite(lfs, "/keep", data, 100, LFS_O_WRONLY | LFS_O_CREAT);

    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "/big",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    lfs_ssize_t res;
    int rounds = 0;
    while ((res = lfs_file_write(lfs, &f, data, 512)) > 0) {
        rounds += 1;
        assert_true(rounds < 64);
    }
    assert_int_equal(res, LFS_ERR_NOSPC);
    assert_int_equal(lfs_file_close(lfs, &f), 0);

    // still usable: what was synced is there, space comes back on remove
    wcheck(lfs, "/keep", data, 100);
    assert_int_equal(lfs_remove(lfs, "/big"), 0);
    wwrite(lfs, "/after", data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "/keep", data, 100);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- golden images, read-write ------------------------------------------ */

static void run_golden(const char *name, uint32_t block_size,
        uint32_t block_count, uint32_t rp) {
    struct wdev d;
    wdev_init(&d, rp, rp, block_size, block_count, 256);
    char path[256];
    const char *dirs[] = {getenv("BROWNOUT_IMAGES"), "tests/data/images"};
    int err = LFS_ERR_IO;
    for (int i = 0; i < 2 && err; i++) {
        if (dirs[i]) {
            snprintf(path, sizeof(path), "%s/%s.img", dirs[i], name);
            err = bd_emu_load_image(d.bd, path);
        }
    }
    assert_int_equal(err, 0);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    static struct snap before, after;
    snap_take(lfs, &before);

    // first write: completes any pending move, fixes orphans
    assert_int_equal(lfs_mkdir(lfs, "/new-dir"), 0);
    assert_false(lfs_gstate_hasmove(&lfs->gdisk));
    static uint8_t data[3000];
    wfill(data, sizeof(data), 11);
    wwrite(lfs, "/new-dir/big", data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(lfs, "/new-inline", data, 20, LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_rename(lfs, "/new-dir/big", "/moved-big"), 0);
    assert_int_equal(lfs_setattr(lfs, "/new-inline", 0x33, "xy", 2), 0);
    assert_int_equal(lfs_unmount(lfs), 0);

    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "/moved-big", data, sizeof(data));
    wcheck(lfs, "/new-inline", data, 20);
    snap_take(lfs, &after);
    // everything littlefs wrote is still there, plus our three entries
    assert_int_equal(after.n, before.n + 3);
    for (int i = 0; i < before.n; i++) {
        struct snap one = {.n = 1};
        one.e[0] = before.e[i];
        bool found = false;
        for (int j = 0; j < after.n && !found; j++) {
            struct snap other = {.n = 1};
            other.e[0] = after.e[j];
            found = snap_equal(&one, &other);
        }
        assert_true(found);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

static void test_golden_basic(void **state) {
    (void)state;
    run_golden("basic-512", 512, 256, 16);
}

static void test_golden_nor4k(void **state) {
    (void)state;
    run_golden("basic-nor4k", 4096, 64, 1);
}

static void test_golden_v20(void **state) {
    (void)state;
    run_golden("basic-v20", 512, 256, 16);
}

static void test_golden_churn(void **state) {
    (void)state;
    run_golden("churn-512", 512, 256, 16);
}

static void test_golden_cutrename(void **state) {
    (void)state;
    run_golden("cutrename-512", 512, 256, 16);
}

static void test_golden_many(void **state) {
    (void)state;
    run_golden("many-512", 512, 2048, 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_powerloss_atomic),
        cmocka_unit_test(test_powerloss_torn),
        cmocka_unit_test(test_bad_prog_error),
        cmocka_unit_test(test_bad_erase_error),
        cmocka_unit_test(test_bad_prog_noop),
        cmocka_unit_test(test_nospc),
        cmocka_unit_test(test_golden_basic),
        cmocka_unit_test(test_golden_nor4k),
        cmocka_unit_test(test_golden_v20),
        cmocka_unit_test(test_golden_churn),
        cmocka_unit_test(test_golden_cutrename),
        cmocka_unit_test(test_golden_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
