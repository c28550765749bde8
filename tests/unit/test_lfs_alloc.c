/*
 * test_lfs_alloc.c - the block allocator through lfs_alloc itself: blocks
 * come out in cyclic order from a start seeded by the disk's contents,
 * the window slides and wraps, every free block once and then
 * LFS_ERR_NOSPC, freed blocks come back, any lookahead_size works.  Also
 * what rides on it: a bad block exactly where the next allocation lands
 * (each bad-block behaviour) is relocated around, and lfs_fs_grow makes
 * new blocks allocatable (and refuses to shrink).  Devices are bd_emu in
 * strict prog mode; every test ends with zero prog violations.
 */
#include "test_lfs_write_util.h"
#include "lfs_internal.h"

#define MAXBLOCKS 1024

static int mark_used(void *data, lfs_block_t block) {
    uint8_t *used = data;
    assert_true(block < MAXBLOCKS);
    used[block] = 1;
    return 0;
}

/* used[b] = 1 for every block the filesystem (and open files) uses. */
static void used_blocks(lfs_t *lfs, uint8_t *used) {
    memset(used, 0, MAXBLOCKS);
    assert_int_equal(lfs_fs_traverse(lfs, mark_used, used), 0);
}

static void mkfs(struct wdev *d, uint32_t block_count, uint32_t lookahead) {
    wdev_init(d, 16, 16, 512, block_count, 64);
    d->cfg.lookahead_size = lookahead;
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

/* From a dropped window, allocating without a checkpoint must hand out
 * exactly the free blocks in cyclic order from the window's start (after
 * a mount: the seeded one), then NOSPC. */
static void check_lap(lfs_t *lfs) {
    static uint8_t used[MAXBLOCKS];
    used_blocks(lfs, used);
    lfs_size_t bc = lfs->block_count;
    lfs_alloc_drop(lfs);
    lfs_block_t start = lfs->lookahead.start;
    assert_true(start < bc);
    lfs_size_t handed = 0;
    for (lfs_size_t i = 0; i < bc; i++) {
        lfs_block_t want = (start + i) % bc;
        if (used[want]) {
            continue;
        }
        lfs_block_t got;
        assert_int_equal(lfs_alloc(lfs, &got), 0);
        assert_int_equal(got, want);
        handed += 1;
    }
    assert_true(handed > 0);
    lfs_block_t got;
    assert_int_equal(lfs_alloc(lfs, &got), LFS_ERR_NOSPC);
    assert_int_equal(lfs_alloc(lfs, &got), LFS_ERR_NOSPC);
    // a checkpoint makes the same free blocks available again
    lfs_alloc_ckpoint(lfs);
    assert_int_equal(lfs_alloc(lfs, &got), 0);
    assert_false(used[got]);
}

static void populate(lfs_t *lfs, uint32_t seed, int files) {
    static uint8_t data[3000];
    for (int i = 0; i < files; i++) {
        char path[32];
        snprintf(path, sizeof(path), "f%u_%d", (unsigned)seed, i);
        size_t size = (size_t)((seed * 7919u + (uint32_t)i * 613u) % 3000);
        wfill(data, size, seed + (uint32_t)i);
        wwrite(lfs, path, data, size, LFS_O_WRONLY | LFS_O_CREAT);
    }
}

static void test_lap_and_wrap(void **state) {
    (void)state;
    // window smaller than, equal to, larger than the disk; odd sizes
    static const struct { uint32_t bc, la; } geo[] = {
        {64, 1}, {64, 8}, {64, 64}, {77, 1}, {77, 3}, {77, 10}, {200, 7},
    };
    for (size_t g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
        struct wdev d;
        mkfs(&d, geo[g].bc, geo[g].la);
        populate(&d.lfs, (uint32_t)g + 1, 6);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
        assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
        assert_int_equal(d.lfs.lookahead.start,
                d.lfs.seed % d.lfs.block_count);
        check_lap(&d.lfs);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
        wdev_free(&d);
    }
}

static void test_lookahead_edges(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 64, 64);
    d.cfg.lookahead_size = 0;
    assert_int_equal(lfs_format(&d.lfs, &d.cfg), LFS_ERR_INVAL);
    // one byte of lookahead: eight blocks per scan, still a full lap
    d.cfg.lookahead_size = 1;
    assert_int_equal(lfs_format(&d.lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    populate(&d.lfs, 3, 10);
    check_lap(&d.lfs);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    // a caller's lookahead buffer is used as is
    static uint8_t la[5];
    d.cfg.lookahead_size = sizeof(la);
    d.cfg.lookahead_buffer = la;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    assert_ptr_equal(d.lfs.lookahead.buffer, la);
    check_lap(&d.lfs);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);
}

static lfs_block_t mounted_start(struct wdev *d) {
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    lfs_block_t start = d->lfs.lookahead.start;
    assert_int_equal(start, d->lfs.seed % d->lfs.block_count);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    return start;
}

static void test_seeded_start(void **state) {
    (void)state;
    struct wdev a, b;
    mkfs(&a, 256, 8);
    mkfs(&b, 256, 8);
    populate(&a.lfs, 1, 4);
    populate(&b.lfs, 2, 4);
    assert_int_equal(lfs_unmount(&a.lfs), 0);
    assert_int_equal(lfs_unmount(&b.lfs), 0);
    // the same image: the same start, every time
    lfs_block_t sa = mounted_start(&a);
    assert_int_equal(mounted_start(&a), sa);
    lfs_block_t sb = mounted_start(&b);
    assert_int_equal(mounted_start(&b), sb);
    // different contents: different seeds, and here different starts
    assert_int_not_equal(sa, sb);
    // a commit changes the seed of the next mount
    assert_int_equal(lfs_mount(&a.lfs, &a.cfg), 0);
    uint32_t seed = a.lfs.seed;
    assert_int_equal(lfs_mkdir(&a.lfs, "new"), 0);
    assert_int_equal(lfs_unmount(&a.lfs), 0);
    assert_int_equal(lfs_mount(&a.lfs, &a.cfg), 0);
    assert_int_not_equal(a.lfs.seed, seed);
    assert_int_equal(lfs_unmount(&a.lfs), 0);
    wdev_free(&a);
    wdev_free(&b);
}

static int count_used(lfs_t *lfs) {
    static uint8_t used[MAXBLOCKS];
    used_blocks(lfs, used);
    int n = 0;
    for (int i = 0; i < MAXBLOCKS; i++) {
        n += used[i];
    }
    return n;
}

/* Fill the disk with one file until NOSPC, remove it: the blocks return. */
static void test_freed_blocks_return(void **state) {
    (void)state;
    struct wdev d;
    mkfs(&d, 64, 2);
    lfs_t *lfs = &d.lfs;
    int base = count_used(lfs);
    static uint8_t chunk[512];
    for (int round = 0; round < 3; round++) {
        lfs_file_t f;
        assert_int_equal(lfs_file_open(lfs, &f, "big",
                LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC), 0);
        int written = 0;
        while (true) {
            wfill(chunk, sizeof(chunk), (uint32_t)written);
            lfs_ssize_t n = lfs_file_write(lfs, &f, chunk, sizeof(chunk));
            if (n == LFS_ERR_NOSPC) {
                break;
            }
            assert_int_equal(n, (int)sizeof(chunk));
            written += 1;
        }
        assert_int_equal(lfs_file_close(lfs, &f), 0);
        // nearly the whole disk went into the file at some point
        assert_true(written > 64 - base - 8);
        assert_int_equal(lfs_remove(lfs, "big"), 0);
        assert_int_equal(count_used(lfs), base);
        check_lap(lfs);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- a bad block where the next allocation lands ------------------------ */

static lfs_block_t next_alloc(struct wdev *d) {
    static uint8_t used[MAXBLOCKS];
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    used_blocks(&d->lfs, used);
    lfs_block_t start = d->lfs.lookahead.start;
    lfs_size_t bc = d->lfs.block_count;
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    for (lfs_size_t i = 0; i < bc; i++) {
        if (!used[(start + i) % bc]) {
            return (start + i) % bc;
        }
    }
    fail();
    return 0;
}

/* Counts the erases and progs that reach one block. */
struct hits {
    uint32_t block;
    int n;
};

static void count_hits(void *ctx, const struct bd_emu_trace_event *ev) {
    struct hits *h = ctx;
    if (ev->block == h->block
            && (ev->op == BD_EMU_OP_ERASE || ev->op == BD_EMU_OP_PROG)) {
        h->n += 1;
    }
}

static void run_targeted_bad(enum bd_emu_bad_behavior behavior, bool dir) {
    struct wdev d;
    mkfs(&d, 128, 4);
    populate(&d.lfs, 5, 3);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    assert_int_equal(bd_emu_set_bad_behavior(d.bd, behavior), 0);

    // several times, each a block the core is about to use
    static uint8_t data[1500];
    for (int i = 0; i < 4; i++) {
        lfs_block_t bad = next_alloc(&d);
        assert_int_equal(bd_emu_set_bad(d.bd, bad, 1), 0);
        struct hits hits = {bad, 0};
        bd_emu_set_trace(d.bd, count_hits, &hits);
        assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
        char path[16];
        snprintf(path, sizeof(path), "t%d", i);
        if (dir) {
            // a new directory's pair is the first allocation
            assert_int_equal(lfs_mkdir(&d.lfs, path), 0);
            snprintf(path, sizeof(path), "t%d/in", i);
        }
        wfill(data, sizeof(data), (uint32_t)i + 100);
        wwrite(&d.lfs, path, data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
        bd_emu_set_trace(d.bd, NULL, NULL);
        // the core did try the bad block, and went elsewhere
        assert_true(hits.n > 0);

        assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
        wcheck(&d.lfs, path, data, sizeof(data));
        static uint8_t used[MAXBLOCKS];
        used_blocks(&d.lfs, used);
        assert_false(used[bad]);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
    }
    if (behavior == BD_EMU_BAD_PROG_NOOP || behavior == BD_EMU_BAD_PROG_FLIP) {
        // a prog that silently fails writes over what the block held
        bd_emu_destroy(d.bd);
    } else {
        wdev_free(&d);
    }
}

static void test_bad_next_prog_error(void **state) {
    (void)state;
    run_targeted_bad(BD_EMU_BAD_PROG_ERROR, false);
    run_targeted_bad(BD_EMU_BAD_PROG_ERROR, true);
}

static void test_bad_next_erase_error(void **state) {
    (void)state;
    run_targeted_bad(BD_EMU_BAD_ERASE_ERROR, false);
    run_targeted_bad(BD_EMU_BAD_ERASE_ERROR, true);
}

static void test_bad_next_prog_noop(void **state) {
    (void)state;
    run_targeted_bad(BD_EMU_BAD_PROG_NOOP, false);
    run_targeted_bad(BD_EMU_BAD_PROG_NOOP, true);
}

static void test_bad_next_prog_flip(void **state) {
    (void)state;
    run_targeted_bad(BD_EMU_BAD_PROG_FLIP, false);
    run_targeted_bad(BD_EMU_BAD_PROG_FLIP, true);
}

/* ---- lfs_fs_grow --------------------------------------------------------- */

static void test_grow(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, 512, 256, 64);
    lfs_t *lfs = &d.lfs;
    d.cfg.block_count = 64;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    populate(lfs, 9, 4);
    assert_int_equal(lfs_unmount(lfs), 0);

    // grow with the config's count left to the disk
    d.cfg.block_count = 0;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs->block_count, 64);
    assert_int_equal(lfs_fs_grow(lfs, 63), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_grow(lfs, 64), 0);
    assert_int_equal(lfs_fs_grow(lfs, 200), 0);
    struct lfs_fsinfo info;
    assert_int_equal(lfs_fs_stat(lfs, &info), 0);
    assert_int_equal(info.block_count, 200);
    assert_int_equal(lfs_fs_grow(lfs, 100), LFS_ERR_INVAL);
    assert_int_equal(lfs_unmount(lfs), 0);

    // the old count no longer mounts, the new one does
    d.cfg.block_count = 64;
    assert_int_equal(lfs_mount(lfs, &d.cfg), LFS_ERR_INVAL);
    d.cfg.block_count = 200;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    // the config caps growth
    assert_int_equal(lfs_fs_grow(lfs, 201), LFS_ERR_INVAL);
    check_lap(lfs);
    // the new space holds data: more than the old disk could
    static uint8_t data[64 * 512];
    wfill(data, sizeof(data), 77);
    wwrite(lfs, "huge", data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
    static uint8_t used[MAXBLOCKS];
    used_blocks(lfs, used);
    int above = 0;
    for (int b = 64; b < 200; b++) {
        above += used[b];
    }
    assert_true(above > 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "huge", data, sizeof(data));
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lap_and_wrap),
        cmocka_unit_test(test_lookahead_edges),
        cmocka_unit_test(test_seeded_start),
        cmocka_unit_test(test_freed_blocks_return),
        cmocka_unit_test(test_bad_next_prog_error),
        cmocka_unit_test(test_bad_next_erase_error),
        cmocka_unit_test(test_bad_next_prog_noop),
        cmocka_unit_test(test_bad_next_prog_flip),
        cmocka_unit_test(test_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
