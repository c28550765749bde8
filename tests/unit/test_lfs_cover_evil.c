/*
 * test_lfs_cover_evil.c - entries whose structs contradict their types,
 * and superblocks that contradict where they sit, built by hand with the
 * metadata builder of test_lfs_bd.h on a bd_emu device: each gets a clean
 * error (LFS_ERR_CORRUPT) where it is used, and the rest of the disk stays
 * usable. A file with a skip-list of size 0 (which no littlefs writes but
 * the format allows) reads as empty. A skip-list pointer out of the device
 * is LFS_ERR_CORRUPT to the read, write or append that follows it. So is
 * a threaded list that turns cyclic after mount to every walk along it, a
 * pending move naming an id its pair does not have to the first write, a
 * pair no tail leads to when it relocates, and an id history that leaves
 * the id range to the lookups through it, and a log that rots under an
 * open handle to the compaction that re-reads it. An orphan is unlinked, also
 * under read and write faults (then at the next try); an FCRC wider than
 * the read cache is checked from the device, and a read failing there
 * fails the mount. White-box: the gstate's orphan count.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"

#define BS 512
#define BC 64

static uint8_t blk[BS];

static void put_block(struct wdev *d, lfs_block_t block) {
    assert_int_equal(bd_emu_dev_erase(d->bd, block), 0);
    assert_int_equal(bd_emu_dev_prog(d->bd, block, 0, blk, BS), 0);
}

/* Root {0,1}, ids in name order:
 *   1 "d"  a directory whose struct is inline data, not a pair
 *   2 "e"  a directory whose pair {20,21} was never written
 *   3 "f"  a file whose struct is a directory pair
 *   4 "g"  a good file, 5 bytes inline
 *   5 "w"  an entry of a type that is neither file nor directory
 *   6 "z"  a file with a skip-list of size 0 */
static void build_entries(struct wdev *d) {
    wdev_init(d, 16, 16, BS, BC, 64);
    struct mbuilder m;
    mb_begin(&m, blk, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 1, 0), NULL);
    mb_name(&m, LFS_TYPE_DIR, 1, "d");
    mb_tag(&m, mk(LFS_TYPE_INLINESTRUCT, 1, 0), NULL);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 2, 0), NULL);
    mb_name(&m, LFS_TYPE_DIR, 2, "e");
    mb_pair(&m, LFS_TYPE_DIRSTRUCT, 2, 20, 21);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 3, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 3, "f");
    mb_pair(&m, LFS_TYPE_DIRSTRUCT, 3, 0, 1);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 4, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 4, "g");
    mb_tag(&m, mk(LFS_TYPE_INLINESTRUCT, 4, 5), "hello");
    mb_tag(&m, mk(LFS_TYPE_CREATE, 5, 0), NULL);
    mb_name(&m, 0x003, 5, "w");
    mb_tag(&m, mk(LFS_TYPE_INLINESTRUCT, 5, 0), NULL);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 6, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 6, "z");
    mb_pair(&m, LFS_TYPE_CTZSTRUCT, 6, 10, 0);
    mb_commit(&m, 0);
    put_block(d, 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

static int count_blocks(void *data, lfs_block_t block) {
    assert_true(block < BC);
    *(int *)data += 1;
    return 0;
}

static void test_contradicting_entries(void **state) {
    (void)state;
    struct wdev d;
    build_entries(&d);
    lfs_t *lfs = &d.lfs;
    struct lfs_info info;
    lfs_dir_t dir;
    lfs_file_t f;

    // "d": a directory without a pair
    assert_int_equal(lfs_stat(lfs, "d/x", &info), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_dir_open(lfs, &dir, "d"), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_remove(lfs, "d"), LFS_ERR_CORRUPT);
    // "e": a pair with no valid log
    assert_int_equal(lfs_dir_open(lfs, &dir, "e"), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_remove(lfs, "e"), LFS_ERR_CORRUPT);
    // "f": a file without a file struct
    assert_int_equal(lfs_file_open(lfs, &f, "f", LFS_O_RDONLY),
            LFS_ERR_CORRUPT);
    // "w": neither file nor directory
    assert_int_equal(lfs_stat(lfs, "w", &info), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_stat(lfs, "w/x", &info), LFS_ERR_CORRUPT);
    // listing the root stops with an error at "w", after "d" .. "g"
    assert_int_equal(lfs_dir_open(lfs, &dir, "/"), 0);
    int listed = 0;
    int res;
    while ((res = lfs_dir_read(lfs, &dir, &info)) > 0) {
        listed += 1;
    }
    assert_int_equal(res, LFS_ERR_CORRUPT);
    assert_int_equal(listed, 2 + 4);
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);

    // "z": an empty skip-list is an empty file
    assert_int_equal(lfs_file_open(lfs, &f, "z", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_size(lfs, &f), 0);
    uint8_t buf[8];
    assert_int_equal(lfs_file_read(lfs, &f, buf, sizeof(buf)), 0);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks), 0);
    // the root pair and the pairs the structs of "e" and "f" name
    assert_int_equal(blocks, 2 + 2 + 2);

    // the good file is untouched
    assert_int_equal(lfs_file_open(lfs, &f, "g", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* {0,1} holds a superblock for BC blocks and a hard tail to `tail`, whose
 * block tail[0] holds another superblock entry claiming `count` blocks. */
static void build_two_superblocks(struct wdev *d, lfs_block_t tail0,
        lfs_block_t tail1, lfs_size_t count) {
    wdev_init(d, 16, 16, BS, BC, 64);
    struct mbuilder m;
    mb_begin(&m, blk, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    mb_pair(&m, LFS_TYPE_HARDTAIL, 0x3ff, tail0, tail1);
    mb_commit(&m, 0);
    put_block(d, 0);
    mb_begin(&m, blk, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, count, 0, 0, 0);
    mb_commit(&m, 0);
    put_block(d, tail0);
}

static void test_superblock_outside_its_count(void **state) {
    (void)state;
    struct wdev d;
    // taken from the disk, the block count of the last superblock is 32,
    // but that superblock sits at block 40 (or 41)
    build_two_superblocks(&d, 40, 41, 32);
    d.cfg.block_count = 0;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), LFS_ERR_CORRUPT);
    wdev_free(&d);
    build_two_superblocks(&d, 30, 41, 32);
    d.cfg.block_count = 0;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), LFS_ERR_CORRUPT);
    wdev_free(&d);
    // a count that leaves no room even for the superblock pair
    build_two_superblocks(&d, 40, 41, 1);
    d.cfg.block_count = 0;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), LFS_ERR_CORRUPT);
    wdev_free(&d);
    // consistent: the second superblock is the root
    build_two_superblocks(&d, 40, 41, BC);
    d.cfg.block_count = 0;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    struct lfs_fsinfo fs;
    assert_int_equal(lfs_fs_stat(&d.lfs, &fs), 0);
    assert_int_equal(fs.block_count, BC);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);
}

/* ---- a skip-list pointer that leaves the device ------------------------- */

#define BAD_POINTER 9999

/* Root {0,1} with file "s" in a skip-list of `blocks` blocks (10, 11, 12),
 * `size` bytes. Block 0 of the list holds data only; block 1 one pointer
 * (to block 0), block 2 two (to 1 and 0). With three, the pointer of
 * block 2 to block 1 is BAD_POINTER. */
static void build_skiplist(struct wdev *d, int blocks, lfs_size_t size) {
    wdev_init(d, 16, 16, BS, BC, 64);
    static uint8_t data[BS];
    wfill(data, sizeof(data), 9);
    memcpy(blk, data, BS);
    put_block(d, 10);
    memcpy(blk, data, BS);
    lfs_put_le32(blk, 10);
    put_block(d, 11);
    if (blocks == 3) {
        memcpy(blk, data, BS);
        lfs_put_le32(blk, BAD_POINTER);
        lfs_put_le32(blk + 4, 10);
        put_block(d, 12);
    }
    struct mbuilder m;
    mb_begin(&m, blk, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    mb_tag(&m, mk(LFS_TYPE_CREATE, 1, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 1, "s");
    mb_pair(&m, LFS_TYPE_CTZSTRUCT, 1, blocks == 3 ? 12 : 11, size);
    mb_commit(&m, 0);
    put_block(d, 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

static void test_skiplist_pointer_out_of_range(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = &d.lfs;
    lfs_file_t f;
    uint8_t buf[16] = {0};

    // three blocks, the last one partly used
    build_skiplist(&d, 3, BS + (BS - 4) + 100);
    assert_int_equal(lfs_file_open(lfs, &f, "s", LFS_O_RDWR), 0);
    // reading block 1 goes through the bad pointer
    assert_int_equal(lfs_file_seek(lfs, &f, BS + 10, LFS_SEEK_SET), BS + 10);
    assert_int_equal(lfs_file_read(lfs, &f, buf, sizeof(buf)),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    // so does a write there, and the handle then refuses to sync
    assert_int_equal(lfs_file_open(lfs, &f, "s", LFS_O_RDWR), 0);
    assert_int_equal(lfs_file_seek(lfs, &f, BS + 10, LFS_SEEK_SET), BS + 10);
    assert_int_equal(lfs_file_write(lfs, &f, buf, sizeof(buf)),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);

    // two full blocks: appending a third copies the pointers of block 1.
    // The allocator's scan would catch the bad pointer first, so it goes
    // bad after the scan (as if it rotted at rest)
    build_skiplist(&d, 2, BS + (BS - 4));
    uint8_t big[600] = {0};
    wwrite(lfs, "t", big, sizeof(big), LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(bd_emu_dev_read(d.bd, 11, 0, blk, BS), 0);
    assert_int_equal(lfs_get_le32(blk), 10);
    lfs_put_le32(blk, BAD_POINTER);
    put_block(&d, 11);
    assert_int_equal(lfs_file_open(lfs, &f, "s",
            LFS_O_WRONLY | LFS_O_APPEND), 0);
    assert_int_equal(lfs_file_write(lfs, &f, buf, sizeof(buf)),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* Block 0 of the root: a superblock for BS and BC, commit still open. */
static void root_begin(struct mbuilder *m) {
    mb_begin(m, blk, BS, 16, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
}

/* ---- a threaded list that turns cyclic after mount ---------------------- */

/* {0,1}: superblock, "d" -> {4,5}, soft tail {2,3}, and with `orphans` the
 * gstate flag saying orphans exist. {2,3}: no entries (no directory names
 * it: an orphan), soft tail {4,5}. {4,5}: "x", 5 bytes inline. */
static void build_chain(struct wdev *d, bool orphans) {
    wdev_init(d, 16, 16, BS, BC, 64);
    struct mbuilder m;
    root_begin(&m);
    mb_dir(&m, 1, "d", 4, 5);
    mb_pair(&m, LFS_TYPE_SOFTTAIL, 0x3ff, 2, 3);
    if (orphans) {
        mb_gstate(&m, 0x80000000, 0, 0);
    }
    mb_commit(&m, 0);
    put_block(d, 0);
    mb_begin(&m, blk, BS, 16, 1);
    mb_pair(&m, LFS_TYPE_SOFTTAIL, 0x3ff, 4, 5);
    mb_commit(&m, 0);
    put_block(d, 2);
    mb_begin(&m, blk, BS, 16, 1);
    mb_file(&m, 0, "x", "hello");
    mb_commit(&m, 0);
    put_block(d, 4);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

/* {2,3}'s tail rots to point back at {0,1} (a newer commit in block 2). */
static void rot_chain(struct wdev *d) {
    struct mbuilder m;
    mb_begin(&m, blk, BS, 16, 2);
    mb_pair(&m, LFS_TYPE_SOFTTAIL, 0x3ff, 0, 1);
    mb_commit(&m, 0);
    put_block(d, 2);
}

static void expect_x(lfs_t *lfs) {
    uint8_t buf[8];
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "d/x", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
}

/* Mount refuses a cyclic list; one that turns cyclic later makes every
 * walk along it LFS_ERR_CORRUPT: the traversal, the search for a pair's
 * predecessor (removing the last entry of a pair), the search for a pair's
 * parent (repairing orphans). Lookups, which follow directory entries,
 * still work. */
static void test_list_turns_cyclic(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = &d.lfs;
    build_chain(&d, false);
    int blocks = 0;
    // {0,1}, {2,3}, {4,5}, and {4,5} again as the pair "d" names
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks), 0);
    assert_int_equal(blocks, 8);
    rot_chain(&d);
    blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_remove(lfs, "d/x"), LFS_ERR_CORRUPT);
    expect_x(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), LFS_ERR_CORRUPT);
    wdev_free(&d);

    build_chain(&d, true);
    rot_chain(&d);
    assert_int_equal(lfs_fs_mkconsistent(lfs), LFS_ERR_CORRUPT);
    expect_x(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* The same chain, not rotted: the orphan {2,3} is unlinked. */
static void test_orphan_unlinked(void **state) {
    (void)state;
    struct wdev d;
    lfs_t *lfs = &d.lfs;
    build_chain(&d, true);
    assert_int_equal(lfs_fs_mkconsistent(lfs), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks), 0);
    assert_int_equal(blocks, 6);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_gstate_orphans(&lfs->gstate), 0);
    expect_x(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- an orphan repaired under device errors ----------------------------- */

/* {0,1}: superblock, the orphan flag, soft tail {2,3}; {2,3} empty. After
 * lfs_fs_mkconsistent unlinks {2,3}, every pair was written by this mount
 * and only the cleared flag is left to write: one more commit to the root. */
static void build_lone_orphan(struct wdev *d) {
    wdev_init(d, 16, 16, BS, BC, 16);
    d->cfg.read = flaky_read;
    read_fail_at = 0;
    struct mbuilder m;
    root_begin(&m);
    mb_pair(&m, LFS_TYPE_SOFTTAIL, 0x3ff, 2, 3);
    mb_gstate(&m, 0x80000000, 0, 0);
    mb_commit(&m, 0);
    put_block(d, 0);
    mb_begin(&m, blk, BS, 16, 1);
    mb_commit(&m, 0);
    put_block(d, 2);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

/* After a fault, on a healthy device: the repair completes, and a fresh
 * mount finds the flag cleared and only {0,1} in use. */
static void expect_repaired(struct wdev *d) {
    lfs_t *lfs = &d->lfs;
    read_fail_at = 0;
    bd_emu_disarm_powerloss(d->bd);
    bd_emu_power_on(d->bd);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    assert_int_equal(lfs_fs_mkconsistent(lfs), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d->cfg), 0);
    assert_int_equal(lfs_gstate_orphans(&lfs->gstate), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks), 0);
    assert_int_equal(blocks, 2);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(d);
}

static void test_orphan_repair_faults(void **state) {
    (void)state;
    struct wdev d;
    build_lone_orphan(&d);
    reads_seen = 0;
    uint64_t start = bd_emu_write_ops(d.bd);
    assert_int_equal(lfs_fs_mkconsistent(&d.lfs), 0);
    unsigned long reads = reads_seen;
    uint64_t writes = bd_emu_write_ops(d.bd) - start;
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    expect_repaired(&d);
    for (unsigned long n = 1; n <= reads; n++) {
        build_lone_orphan(&d);
        reads_seen = 0;
        read_fail_at = n;
        assert_int_equal(lfs_fs_mkconsistent(&d.lfs), LFS_ERR_IO);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
        expect_repaired(&d);
    }
    for (uint64_t n = 1; n <= writes; n++) {
        build_lone_orphan(&d);
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
        assert_int_equal(lfs_fs_mkconsistent(&d.lfs), LFS_ERR_IO);
        assert_int_equal(lfs_unmount(&d.lfs), 0);
        expect_repaired(&d);
    }
}

/* ---- gstate and id histories that contradict the pairs ------------------ */

/* A pending move naming id 5 of a pair with two entries: the first write
 * (which completes pending moves) is LFS_ERR_CORRUPT; reads still work. */
static void test_move_past_count(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    struct mbuilder m;
    root_begin(&m);
    mb_file(&m, 1, "g", "hello");
    mb_gstate(&m, mk(LFS_TYPE_DELETE, 5, 0), 0, 1);
    mb_commit(&m, 0);
    put_block(&d, 0);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "x"), LFS_ERR_CORRUPT);
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "x", &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_stat(lfs, "g", &info), 0);
    assert_int_equal(info.size, 5);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* "d" -> {4,5}, but no tail leads to {4,5}. The first commit to {4,5}
 * relocates it (revision 2, block_cycles 1): the parent's entry is pointed
 * at the new blocks, then the predecessor that should take the new tail is
 * not found: LFS_ERR_CORRUPT. "d/x" stays readable, also after remount. */
static void test_pair_off_the_list(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    d.cfg.block_cycles = 1;
    struct mbuilder m;
    root_begin(&m);
    mb_dir(&m, 1, "d", 4, 5);
    mb_commit(&m, 0);
    put_block(&d, 0);
    mb_begin(&m, blk, BS, 16, 2);
    mb_file(&m, 0, "x", "hello");
    mb_commit(&m, 0);
    put_block(&d, 4);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_setattr(lfs, "d/x", 'a', "1", 1), LFS_ERR_CORRUPT);
    expect_x(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    expect_x(lfs);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* "d" -> {2,3} (also the root's tail), whose log opens with a splice of
 * +2 at id 0 (a type no littlefs writes; creates are +1): looking ids 0
 * and 1 up walks that history back to id -2, which is LFS_ERR_CORRUPT to
 * the listing and the traversal. The root and its file "g" are unaffected. */
static void test_splice_out_of_range(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    struct mbuilder m;
    root_begin(&m);
    mb_dir(&m, 1, "d", 2, 3);
    mb_file(&m, 2, "g", "hello");
    mb_pair(&m, LFS_TYPE_SOFTTAIL, 0x3ff, 2, 3);
    mb_commit(&m, 0);
    put_block(&d, 0);
    mb_begin(&m, blk, BS, 16, 1);
    mb_tag(&m, mk(0x402, 0, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 1, "b");
    mb_tag(&m, mk(LFS_TYPE_INLINESTRUCT, 1, 2), "xy");
    mb_commit(&m, 0);
    put_block(&d, 2);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    lfs_dir_t dir;
    struct lfs_info info;
    assert_int_equal(lfs_dir_open(lfs, &dir, "d"), 0);
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_string_equal(info.name, ".");
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_string_equal(info.name, "..");
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(lfs, count_blocks, &blocks),
            LFS_ERR_CORRUPT);
    lfs_file_t f;
    uint8_t buf[8];
    assert_int_equal(lfs_file_open(lfs, &f, "g", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(lfs, &f, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- an FCRC wider than the read cache ---------------------------------- */

/* The root's only commit ends in an FCRC over 256 erased bytes (littlefs
 * writes prog_size): with a 16-byte cache, checking it reads the device.
 * A mount whose read there fails is LFS_ERR_IO; any other read failing
 * fails the mount too; without faults the mount works. */
static void test_fcrc_wider_than_cache(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 16);
    d.cfg.read = flaky_read;
    struct mbuilder m;
    root_begin(&m);
    mb_file(&m, 1, "g", "hello");
    mb_commit(&m, 256);
    put_block(&d, 0);
    lfs_t *lfs = &d.lfs;
    reads_seen = 0;
    read_fail_at = 0;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    unsigned long reads = reads_seen;
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_true(reads > 256/16);
    for (unsigned long n = 1; n <= reads; n++) {
        reads_seen = 0;
        read_fail_at = n;
        assert_int_equal(lfs_mount(lfs, &d.cfg), LFS_ERR_IO);
    }
    read_fail_at = 0;
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, "g", &info), 0);
    assert_int_equal(info.size, 5);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- a log that rots under an open handle ------------------------------- */

/* "d/x" is open (its handle holds d's pair as fetched) when a bit of the
 * pair's first tag flips at rest, making its size run past the log's end.
 * The sync, the mount's first commit to that pair (a compaction, which
 * re-reads the log), is LFS_ERR_CORRUPT; the next mount finds the pair
 * without a valid commit. */
static void test_log_rots_under_handle(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 16, BS, BC, 64);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), 0);
    wwrite(lfs, "d/x", (const uint8_t *)"hello", 5,
            LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, "d/x", LFS_O_RDWR), 0);
    // bit 9 of the size of the tag at offset 4 (big-endian)
    assert_int_equal(bd_emu_flip_bit(d.bd, f.m.pair[0], 6*8 + 1), 0);
    assert_int_equal(lfs_file_write(lfs, &f, "HE", 2), 2);
    assert_int_equal(lfs_file_close(lfs, &f), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), LFS_ERR_CORRUPT);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contradicting_entries),
        cmocka_unit_test(test_superblock_outside_its_count),
        cmocka_unit_test(test_skiplist_pointer_out_of_range),
        cmocka_unit_test(test_list_turns_cyclic),
        cmocka_unit_test(test_orphan_unlinked),
        cmocka_unit_test(test_orphan_repair_faults),
        cmocka_unit_test(test_move_past_count),
        cmocka_unit_test(test_pair_off_the_list),
        cmocka_unit_test(test_splice_out_of_range),
        cmocka_unit_test(test_fcrc_wider_than_cache),
        cmocka_unit_test(test_log_rots_under_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
