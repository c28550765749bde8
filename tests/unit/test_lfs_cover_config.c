/*
 * test_lfs_cover_config.c - what the core does with the configuration and
 * the device callbacks it is given: every invalid configuration is
 * LFS_ERR_INVAL from format and mount with nothing written; a device
 * without prog or erase callbacks (read-only) mounts, reads, and answers
 * LFS_ERR_IO to a write; one without sync works; a callback returning a
 * positive value is LFS_ERR_IO; a disk whose limits exceed the mount's is
 * refused; a prog_size too large for one CRC tag's padding works; and
 * lfs_fs_grow, with each of its reads failing in turn or the
 * device dying at each of its writes, either grows the disk or leaves it
 * (and the mount) at the old size; lfs_fs_gc under the same faults leaves
 * a disk that mounts and completes a gc. Assumes a bd_emu device
 * (test_lfs_write_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_faultbd.h"

#define BS 512
#define BC 64

/* A filesystem with one file, "f" (300 bytes, in a block of its own). */
static uint8_t content[300];

static void make_fs(struct wdev *d) {
    wdev_init(d, 16, 16, BS, BC, 64);
    wfill(content, sizeof(content), 3);
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    wwrite(&d->lfs, "f", content, sizeof(content),
            LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
}

/* The disk still mounts with its own config and holds "f" unchanged. */
static void still_intact(struct wdev *d) {
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    wcheck(&d->lfs, "f", content, sizeof(content));
    assert_int_equal(lfs_unmount(&d->lfs), 0);
}

/* ---- invalid configurations -------------------------------------------- */

/* Each breaks exactly one rule of a valid config (16/16/512, cache 64). */
static void bad_noread(struct lfs_config *c) { c->read = NULL; }
static void bad_readsize(struct lfs_config *c) { c->read_size = 0; }
static void bad_progsize(struct lfs_config *c) { c->prog_size = 0; }
static void bad_blocksize(struct lfs_config *c) { c->block_size = 0; }
static void bad_cachesize(struct lfs_config *c) { c->cache_size = 0; }
static void bad_cache_read(struct lfs_config *c) {
    c->read_size = 32; c->cache_size = 48;   /* 48 % 32 */
}
static void bad_cache_prog(struct lfs_config *c) {
    c->prog_size = 32; c->cache_size = 48;   /* 48 % 16 == 0, 48 % 32 */
}
static void bad_block_cache(struct lfs_config *c) {
    c->cache_size = 48;                      /* 512 % 48 */
}
static void bad_tinyblock(struct lfs_config *c) {
    c->read_size = c->prog_size = c->cache_size = c->block_size = 8;
}
static void bad_smallblock(struct lfs_config *c) {
    // 16 bytes cannot hold the skip-list pointers of a maximal file
    c->cache_size = c->block_size = 16;
}
static void bad_onecount(struct lfs_config *c) { c->block_count = 1; }
static void bad_namemax(struct lfs_config *c) { c->name_max = LFS_NAME_MAX + 1; }
static void bad_filemax(struct lfs_config *c) {
    c->file_max = (lfs_size_t)LFS_FILE_MAX + 1;
}
static void bad_attrmax(struct lfs_config *c) { c->attr_max = LFS_ATTR_MAX + 1; }
static void bad_lookahead(struct lfs_config *c) { c->lookahead_size = 0; }
static void bad_metamax_big(struct lfs_config *c) { c->metadata_max = BS + 16; }
static void bad_metamax_small(struct lfs_config *c) { c->metadata_max = 64; }
static void bad_compact(struct lfs_config *c) { c->compact_thresh = BS + 1; }
static void bad_inline_cache(struct lfs_config *c) {
    c->cache_size = 32; c->inline_max = 48;
}
static void bad_inline_attr(struct lfs_config *c) {
    c->attr_max = 16; c->inline_max = 32;
}
static void bad_inline_block(struct lfs_config *c) {
    c->cache_size = 128; c->inline_max = BS/8 + 16;
}
static void bad_inline_meta(struct lfs_config *c) {
    c->metadata_max = 256; c->inline_max = 256/8 + 16;
}
static void bad_major(struct lfs_config *c) { c->disk_version = 0x00030000; }
static void bad_minor(struct lfs_config *c) {
    c->disk_version = LFS_DISK_VERSION + 1;
}

static void test_invalid_configs(void **state) {
    (void)state;
    static void (*const bad[])(struct lfs_config *) = {
        bad_noread, bad_readsize, bad_progsize, bad_blocksize,
        bad_cachesize, bad_cache_read, bad_cache_prog, bad_block_cache,
        bad_tinyblock, bad_smallblock, bad_onecount, bad_namemax,
        bad_filemax, bad_attrmax, bad_lookahead, bad_metamax_big,
        bad_metamax_small, bad_compact, bad_inline_cache, bad_inline_attr,
        bad_inline_block, bad_inline_meta, bad_major, bad_minor,
    };
    struct wdev d;
    make_fs(&d);
    for (size_t i = 0; i < sizeof(bad)/sizeof(bad[0]); i++) {
        struct lfs_config cfg = d.cfg;
        bad[i](&cfg);
        uint64_t ops = bd_emu_write_ops(d.bd);
        if (lfs_format(&d.lfs, &cfg) != LFS_ERR_INVAL) {
            fail_msg("config %zu: format did not refuse it", i);
        }
        if (lfs_mount(&d.lfs, &cfg) != LFS_ERR_INVAL) {
            fail_msg("config %zu: mount did not refuse it", i);
        }
        assert_int_equal(bd_emu_write_ops(d.bd), ops);
    }
    still_intact(&d);
    wdev_free(&d);
}

/* The boundaries those rules leave valid: no compaction threshold (-1), no
 * inline files (-1), an inline limit at exactly its bounds, the smallest
 * metadata_max, disk version 2.0. */
static void test_valid_edges(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);
    struct lfs_config cfg = d.cfg;
    cfg.compact_thresh = (lfs_size_t)-1;
    cfg.inline_max = (lfs_size_t)-1;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    wcheck(&d.lfs, "f", content, sizeof(content));
    // with inline files off, even a 1-byte file gets a block
    wwrite(&d.lfs, "g", content, 1, LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    cfg = d.cfg;
    cfg.metadata_max = 128;
    cfg.inline_max = 128/8;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    wcheck(&d.lfs, "g", content, 1);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    still_intact(&d);
    wdev_free(&d);
}

/* A prog_size of 2048: a commit is padded to it with CRC tags, and one CRC
 * tag reaches at most 1022 bytes, so the padding takes several. Files,
 * directories and attributes written on it read back after a remount. */
static void test_large_prog_size(void **state) {
    (void)state;
    struct wdev d;
    wdev_init(&d, 16, 2048, 4096, 16, 2048);
    lfs_t *lfs = &d.lfs;
    static uint8_t data[5000];
    wfill(data, sizeof(data), 8);
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), 0);
    wwrite(lfs, "d/small", data, 30, LFS_O_WRONLY | LFS_O_CREAT);
    wwrite(lfs, "big", data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_setattr(lfs, "d", 'a', data, 8), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "d/small", data, 30);
    wcheck(lfs, "big", data, sizeof(data));
    uint8_t attr[8];
    assert_int_equal(lfs_getattr(lfs, "d", 'a', attr, sizeof(attr)), 8);
    assert_memory_equal(attr, data, 8);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* Format needs a block count and both write callbacks. */
static void test_format_needs_writes(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);
    uint64_t ops = bd_emu_write_ops(d.bd);
    struct lfs_config cfg = d.cfg;
    cfg.block_count = 0;
    assert_int_equal(lfs_format(&d.lfs, &cfg), LFS_ERR_INVAL);
    cfg = d.cfg;
    cfg.prog = NULL;
    assert_int_equal(lfs_format(&d.lfs, &cfg), LFS_ERR_INVAL);
    cfg = d.cfg;
    cfg.erase = NULL;
    assert_int_equal(lfs_format(&d.lfs, &cfg), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_write_ops(d.bd), ops);
    still_intact(&d);
    wdev_free(&d);
}

/* ---- devices without some callbacks ------------------------------------- */

/* No prog: reads work, the first write is LFS_ERR_IO and changes nothing.
 * No erase: a write that needs a fresh block is LFS_ERR_IO. */
static void test_readonly_device(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);
    struct lfs_config cfg = d.cfg;
    cfg.prog = NULL;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    wcheck(&d.lfs, "f", content, sizeof(content));
    assert_int_equal(lfs_mkdir(&d.lfs, "d"), LFS_ERR_IO);
    assert_int_equal(lfs_remove(&d.lfs, "f"), LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d.lfs), 0);

    cfg = d.cfg;
    cfg.erase = NULL;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    // a new directory needs a pair erased for it
    assert_int_equal(lfs_mkdir(&d.lfs, "d"), LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d.lfs), 0);

    still_intact(&d);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&d.lfs, "d", &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);
}

/* No sync callback: nothing to call, writes work and persist. */
static void test_no_sync(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);
    struct lfs_config cfg = d.cfg;
    cfg.sync = NULL;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    wwrite(&d.lfs, "g", content, 200, LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_mkdir(&d.lfs, "d"), 0);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    wcheck(&d.lfs, "g", content, 200);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    still_intact(&d);
    wdev_free(&d);
}

/* Callbacks that answer with a positive number (not a littlefs error): the
 * core reports LFS_ERR_IO. */
static int positive_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size) {
    (void)c; (void)block; (void)off; (void)buffer; (void)size;
    return 1;
}

static int positive_prog(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, const void *buffer, lfs_size_t size) {
    (void)c; (void)block; (void)off; (void)buffer; (void)size;
    return 1;
}

static int positive_erase(const struct lfs_config *c, lfs_block_t block) {
    (void)c; (void)block;
    return 1;
}

static int positive_sync(const struct lfs_config *c) {
    (void)c;
    return 1;
}

static void test_positive_results(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);
    struct lfs_config cfg = d.cfg;
    cfg.read = positive_read;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_IO);

    cfg = d.cfg;
    cfg.prog = positive_prog;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    assert_int_equal(lfs_mkdir(&d.lfs, "d"), LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d.lfs), 0);

    cfg = d.cfg;
    cfg.erase = positive_erase;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    assert_int_equal(lfs_mkdir(&d.lfs, "d"), LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d.lfs), 0);

    cfg = d.cfg;
    cfg.sync = positive_sync;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), 0);
    assert_int_equal(lfs_setattr(&d.lfs, "f", 'a', "x", 1), LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d.lfs), 0);

    still_intact(&d);
    wdev_free(&d);
}

/* ---- the disk's limits against the mount's ----------------------------- */

static void test_disk_limits(void **state) {
    (void)state;
    struct wdev d;
    make_fs(&d);   /* default limits: the largest */
    struct lfs_config cfg = d.cfg;
    cfg.file_max = 1000;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_INVAL);
    cfg = d.cfg;
    cfg.name_max = 32;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_INVAL);
    cfg = d.cfg;
    cfg.attr_max = 100;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_INVAL);
    cfg = d.cfg;
    cfg.block_count = BC - 8;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_INVAL);
    // a 2.1 disk is newer than a mount that writes 2.0
    cfg = d.cfg;
    cfg.disk_version = 0x00020000;
    assert_int_equal(lfs_mount(&d.lfs, &cfg), LFS_ERR_INVAL);

    // disk limits smaller than the mount's apply
    cfg = d.cfg;
    cfg.file_max = 4000;
    cfg.name_max = 20;
    cfg.attr_max = 40;
    assert_int_equal(lfs_format(&d.lfs, &cfg), 0);
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    struct lfs_fsinfo fs;
    assert_int_equal(lfs_fs_stat(&d.lfs, &fs), 0);
    assert_int_equal(fs.file_max, 4000);
    assert_int_equal(fs.name_max, 20);
    assert_int_equal(fs.attr_max, 40);
    assert_int_equal(lfs_mkdir(&d.lfs, "abcdefghijklmnopqrstu"),
            LFS_ERR_NAMETOOLONG);
    uint8_t big[41] = {0};
    assert_int_equal(lfs_setattr(&d.lfs, "/", 'a', big, 41), LFS_ERR_NOSPC);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&d.lfs, &f, "g",
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_seek(&d.lfs, &f, 4001, LFS_SEEK_SET),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_file_close(&d.lfs, &f), 0);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);
}

/* ---- lfs_fs_grow under device errors ------------------------------------ */

#define GROW_FROM 40
#define GROW_TO BC

/* A GROW_FROM-block filesystem of disk version 2.0 on a GROW_TO-block
 * device, mounted as 2.1 with block_count 0 (taken from the disk) and the
 * given compact_thresh: the first write (grow or gc here) rewrites the
 * superblock as 2.1 first. */
static void make_small(struct wdev *d, lfs_size_t compact_thresh) {
    wdev_init(d, 16, 16, BS, GROW_TO, 64);
    wfill(content, sizeof(content), 3);
    d->cfg.read = flaky_read;
    d->cfg.block_count = GROW_FROM;
    d->cfg.disk_version = 0x00020000;
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    wwrite(&d->lfs, "f", content, sizeof(content),
            LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    d->cfg.block_count = 0;
    d->cfg.disk_version = 0;
    d->cfg.compact_thresh = compact_thresh;
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

static lfs_size_t mounted_count(lfs_t *lfs) {
    struct lfs_fsinfo fs;
    assert_int_equal(lfs_fs_stat(lfs, &fs), 0);
    return fs.block_count;
}

/* After a grow that returned err: the mount's count and then the disk's. */
static void after_grow(struct wdev *d, int err) {
    if (err) {
        assert_int_equal(err, LFS_ERR_IO);
        assert_int_equal(mounted_count(&d->lfs), GROW_FROM);
    } else {
        assert_int_equal(mounted_count(&d->lfs), GROW_TO);
    }
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    read_fail_at = 0;
    bd_emu_disarm_powerloss(d->bd);
    bd_emu_power_on(d->bd);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    struct lfs_fsinfo fs;
    assert_int_equal(lfs_fs_stat(&d->lfs, &fs), 0);
    // the commit may have landed before the error: either size, whole
    assert_true(fs.block_count == GROW_TO
            || (err && fs.block_count == GROW_FROM));
    // a disk that grew was rewritten as 2.1 first
    assert_true(fs.disk_version == 0x00020001
            || (fs.block_count == GROW_FROM && fs.disk_version == 0x00020000));
    wcheck(&d->lfs, "f", content, sizeof(content));
    // the blocks beyond the old end are usable once grown
    wwrite(&d->lfs, "g", content, sizeof(content),
            LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
}

static void test_grow_errors(void **state) {
    (void)state;
    struct wdev d;
    // the arguments: no shrinking, nothing past the config's count
    make_small(&d, 0);
    assert_int_equal(lfs_fs_grow(&d.lfs, GROW_FROM - 1), LFS_ERR_INVAL);
    assert_int_equal(lfs_fs_grow(&d.lfs, GROW_FROM), 0);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    d.cfg.block_count = GROW_FROM;
    assert_int_equal(lfs_mount(&d.lfs, &d.cfg), 0);
    assert_int_equal(lfs_fs_grow(&d.lfs, GROW_TO), LFS_ERR_INVAL);
    assert_int_equal(lfs_unmount(&d.lfs), 0);
    wdev_free(&d);

    // a clean run counts the reads and write ops a grow makes
    make_small(&d, 0);
    reads_seen = 0;
    read_fail_at = 0;
    uint64_t start = bd_emu_write_ops(d.bd);
    assert_int_equal(lfs_fs_grow(&d.lfs, GROW_TO), 0);
    unsigned long reads = reads_seen;
    uint64_t writes = bd_emu_write_ops(d.bd) - start;
    after_grow(&d, 0);
    wdev_free(&d);
    assert_true(reads > 0 && writes > 0);

    for (unsigned long n = 1; n <= reads; n++) {
        make_small(&d, 0);
        reads_seen = 0;
        read_fail_at = n;
        after_grow(&d, lfs_fs_grow(&d.lfs, GROW_TO));
        wdev_free(&d);
    }
    for (uint64_t n = 1; n <= writes; n++) {
        make_small(&d, 0);
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
        after_grow(&d, lfs_fs_grow(&d.lfs, GROW_TO));
        wdev_free(&d);
    }
}

/* ---- lfs_fs_gc under device errors -------------------------------------- */

/* After a gc that returned err, on the disk of make_small mounted with a
 * compaction threshold of 32 bytes (so gc rewrites the superblock as 2.1,
 * then compacts the log that rewrite grew): the disk mounts, holds "f",
 * and a gc then completes. */
static void after_gc(struct wdev *d, int err) {
    assert_true(err == 0 || err == LFS_ERR_IO);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
    read_fail_at = 0;
    bd_emu_disarm_powerloss(d->bd);
    bd_emu_power_on(d->bd);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
    wcheck(&d->lfs, "f", content, sizeof(content));
    assert_int_equal(lfs_fs_gc(&d->lfs), 0);
    struct lfs_fsinfo fs;
    assert_int_equal(lfs_fs_stat(&d->lfs, &fs), 0);
    assert_int_equal(fs.disk_version, 0x00020001);
    assert_int_equal(lfs_unmount(&d->lfs), 0);
}

static void test_gc_errors(void **state) {
    (void)state;
    struct wdev d;
    make_small(&d, 32);
    reads_seen = 0;
    read_fail_at = 0;
    uint64_t start = bd_emu_write_ops(d.bd);
    assert_int_equal(lfs_fs_gc(&d.lfs), 0);
    unsigned long reads = reads_seen;
    uint64_t writes = bd_emu_write_ops(d.bd) - start;
    after_gc(&d, 0);
    wdev_free(&d);
    assert_true(reads > 0 && writes > 0);

    for (unsigned long n = 1; n <= reads; n++) {
        make_small(&d, 32);
        reads_seen = 0;
        read_fail_at = n;
        after_gc(&d, lfs_fs_gc(&d.lfs));
        wdev_free(&d);
    }
    for (uint64_t n = 1; n <= writes; n++) {
        make_small(&d, 32);
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, BD_EMU_FAULT_ATOMIC,
                NULL, NULL), 0);
        int err = lfs_fs_gc(&d.lfs);
        assert_int_equal(err, LFS_ERR_IO);
        after_gc(&d, err);
        wdev_free(&d);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_configs),
        cmocka_unit_test(test_valid_edges),
        cmocka_unit_test(test_large_prog_size),
        cmocka_unit_test(test_format_needs_writes),
        cmocka_unit_test(test_readonly_device),
        cmocka_unit_test(test_no_sync),
        cmocka_unit_test(test_positive_results),
        cmocka_unit_test(test_disk_limits),
        cmocka_unit_test(test_grow_errors),
        cmocka_unit_test(test_gc_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
