/*
 * test_lfs_commit.c - what the commit layer decides, checked from the raw
 * blocks with a decoder written here (independent of lfs/): every commit
 * is padded to prog_size, its CRC recomputes from its bytes, v2.1 commits
 * carry an FCRC except at the very end of a block, v2.0 ones never, no
 * log passes metadata_max (but for its closing FCRC and CRC).  Also compaction when a block fills, splits
 * (more pairs under a smaller metadata_max), compact_thresh driving
 * lfs_fs_gc, block_cycles relocating a directory's pair, and
 * lfs_fs_mkconsistent cleaning the orphan a cut mkdir left.  bd_emu in
 * strict prog mode; zero prog violations at the end of every test.
 */
#include "test_lfs_write_util.h"
#include "lfs_internal.h"

/* ---- an independent log decoder ----------------------------------------- */

static uint32_t tcrc(uint32_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        }
    }
    return crc;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16
            | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16
            | (uint32_t)p[1] << 8 | p[0];
}

struct logcheck {
    uint32_t prog_size;
    uint32_t limit;         /* metadata_max or block_size */
    bool v21;
    int commits;            /* valid commits found (all blocks so far) */
    int atend;              /* of those, ending exactly at block end */
};

/* Walks block's log; checks every valid commit; returns the end offset. */
static uint32_t check_log(const uint8_t *b, uint32_t bs, struct logcheck *c) {
    uint32_t off = 4, ptag = 0xffffffff;
    uint32_t crc = tcrc(0xffffffff, b, 4);
    bool fcrc = false;
    uint32_t end = 0;
    while (off + 4 <= bs) {
        uint32_t tag = be32(b + off) ^ ptag;
        if (tag & 0x80000000u) {
            break;
        }
        uint32_t type = (tag >> 20) & 0x7ff;
        uint32_t size = tag & 0x3ff;
        uint32_t dsize = size == 0x3ff ? 0 : size;
        if (off + 4 + dsize > bs) {
            break;
        }
        crc = tcrc(crc, b + off, 4);
        if ((type & 0x700) == 0x500 && type != 0x5ff) {
            if (dsize < 4 || le32(b + off + 4) != crc) {
                break;
            }
            uint32_t cend = off + 4 + dsize;
            // padded to a program unit, inside the log limit
            assert_int_equal(cend % c->prog_size, 0);
            // the log stays below metadata_max - 8; the closing FCRC and
            // CRC (20 bytes) may run past it, as in littlefs
            uint32_t bound = (c->limit + 12 + c->prog_size - 1)
                    / c->prog_size * c->prog_size;
            if (cend > bound) {
                fail_msg("commit ending at %u past limit %u (prog %u)", cend,
                        c->limit, c->prog_size);
            }
            // an FCRC whenever a program unit follows in the block (also
            // past metadata_max, which only bounds the log)
            c->atend += cend == bs;
            if (fcrc != (c->v21 && cend < bs)) {
                fail_msg("commit ending at %u of %u: fcrc %d", cend, bs,
                        fcrc);
            }
            c->commits += 1;
            end = cend;
            ptag = tag ^ ((type & 1u) << 31);
            crc = 0xffffffff;
            fcrc = false;
            off = cend;
            continue;
        }
        if (type == 0x5ff) {
            // FCRC: a program unit of erased bytes
            assert_int_equal(dsize, 8);
            assert_int_equal(le32(b + off + 4), c->prog_size);
            static uint8_t ff[4096];
            memset(ff, 0xff, c->prog_size);
            assert_int_equal(le32(b + off + 8),
                    tcrc(0xffffffff, ff, c->prog_size));
            fcrc = true;
        } else {
            fcrc = false;
        }
        crc = tcrc(crc, b + off + 4, dsize);
        ptag = tag;
        off += 4 + dsize;
    }
    return end;
}

/* Checks both blocks of pair; returns the end of the newer log. */
static uint32_t check_pair(struct wdev *d, const lfs_block_t pair[2],
        struct logcheck *c) {
    static uint8_t b[2][4096];
    uint32_t bs = d->cfg.block_size;
    uint32_t ends[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(bd_emu_peek(d->bd, pair[i], 0, b[i], bs), 0);
        ends[i] = check_log(b[i], bs, c);
    }
    int32_t diff = (int32_t)(le32(b[0]) - le32(b[1]));
    if (ends[1] && (!ends[0] || diff < 0)) {
        return ends[1];
    }
    return ends[0];
}

static int count_pairs(struct wdev *d, struct logcheck *c) {
    lfs_mdir_t m = {.tail = {0, 1}};
    volatile int n = 0; // live across a failing assert's longjmp (-O3)
    while (!lfs_pair_isnull(m.tail)) {
        assert_int_equal(lfs_mdir_fetch(&d->lfs, &m, m.tail), 0);
        if (c) {
            check_pair(d, m.pair, c);
        }
        n += 1;
        assert_true(n < 1000);
    }
    return n;
}

static void mkdev(struct wdev *d, uint32_t prog, uint32_t bs, uint32_t bc) {
    wdev_init(d, prog, prog, bs, bc, bs < 256 ? bs : 256);
}

static void run_commits(uint32_t version, uint32_t prog, uint32_t bs,
        uint32_t mmax) {
    struct wdev d;
    mkdev(&d, prog, bs, 128);
    d.cfg.disk_version = version;
    d.cfg.metadata_max = mmax;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    struct logcheck c = {prog, mmax ? mmax : bs, version == 0x00020001, 0, 0};
    uint8_t attr[64];
    for (int i = 0; i < 300; i++) {
        char path[16];
        snprintf(path, sizeof(path), "f%d", i % 7);
        if (i < 7) {
            wwrite(lfs, path, attr, (size_t)i, LFS_O_WRONLY | LFS_O_CREAT);
        }
        // commits of every size in turn, so some end exactly at the limit
        size_t size = (size_t)(i * 5) % sizeof(attr);
        wfill(attr, size, (uint32_t)i);
        assert_int_equal(lfs_setattr(lfs, path, 'a', attr, size), 0);
        count_pairs(&d, &c);
    }
    assert_true(c.commits > 300);
    if (!mmax) {
        assert_true(c.atend > 0);
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

static void test_commit_format(void **state) {
    (void)state;
    run_commits(0x00020001, 16, 512, 0);
    run_commits(0x00020000, 16, 512, 0);
    run_commits(0x00020001, 1, 256, 0);
    run_commits(0x00020001, 32, 1024, 512);
    run_commits(0x00020000, 8, 1024, 384);
}

/* ---- compaction and splits ---------------------------------------------- */

static void test_compaction(void **state) {
    (void)state;
    struct wdev d;
    mkdev(&d, 16, 512, 64);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wwrite(lfs, "f", (const uint8_t *)"x", 1, LFS_O_WRONLY | LFS_O_CREAT);
    uint32_t wear0 = bd_emu_wear(d.bd, 0) + bd_emu_wear(d.bd, 1);
    uint8_t attr[100];
    for (int i = 0; i < 40; i++) {
        wfill(attr, sizeof(attr), (uint32_t)i);
        assert_int_equal(lfs_setattr(lfs, "f", 'a', attr, sizeof(attr)), 0);
    }
    // 40 commits of 100+ bytes cannot fit in 512-byte blocks: the pair
    // was compacted (erased) several times, and stays one pair
    uint32_t wear1 = bd_emu_wear(d.bd, 0) + bd_emu_wear(d.bd, 1);
    assert_true(wear1 >= wear0 + 5);
    assert_int_equal(count_pairs(&d, NULL), 1);
    uint8_t back[100];
    assert_int_equal(lfs_getattr(lfs, "f", 'a', back, sizeof(back)), 100);
    assert_memory_equal(back, attr, sizeof(attr));
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

static int pairs_after_files(uint32_t mmax, int files) {
    struct wdev d;
    mkdev(&d, 16, 1024, 128);
    d.cfg.metadata_max = mmax;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    uint8_t data[40];
    for (int i = 0; i < files; i++) {
        char path[48];
        snprintf(path, sizeof(path), "file-with-a-longish-name-%03d", i);
        wfill(data, sizeof(data), (uint32_t)i);
        wwrite(lfs, path, data, sizeof(data), LFS_O_WRONLY | LFS_O_CREAT);
    }
    struct logcheck c = {16, mmax ? mmax : 1024, true, 0, 0};
    int pairs = count_pairs(&d, &c);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    for (int i = 0; i < files; i++) {
        char path[48];
        snprintf(path, sizeof(path), "file-with-a-longish-name-%03d", i);
        wfill(data, sizeof(data), (uint32_t)i);
        wcheck(lfs, path, data, sizeof(data));
    }
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
    return pairs;
}

static void test_split(void **state) {
    (void)state;
    // a few entries fit one pair; 40 (each ~80 bytes of tags) exceed
    // half a 1024-byte block and split
    assert_int_equal(pairs_after_files(0, 3), 1);
    int full = pairs_after_files(0, 40);
    assert_true(full >= 3);
    // a smaller metadata_max splits sooner
    int small = pairs_after_files(256, 40);
    assert_true(small > full);
}

/* ---- compact_thresh and lfs_fs_gc ---------------------------------------- */

static lfs_off_t root_off(lfs_t *lfs) {
    lfs_mdir_t m;
    assert_int_equal(lfs_mdir_fetch(lfs, &m, (lfs_block_t[2]){0, 1}), 0);
    assert_true(m.erased);
    return m.off;
}

static void run_gc(lfs_size_t thresh, bool expect_compact) {
    struct wdev d;
    mkdev(&d, 16, 1024, 64);
    d.cfg.compact_thresh = thresh;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wwrite(lfs, "f", (const uint8_t *)"x", 1, LFS_O_WRONLY | LFS_O_CREAT);
    uint8_t attr[40];
    // grow the root log past 600 bytes with overwritten attributes
    for (int i = 0; root_off(lfs) < 600; i++) {
        assert_true(i < 100);
        wfill(attr, sizeof(attr), (uint32_t)i);
        assert_int_equal(lfs_setattr(lfs, "f", 'a', attr, sizeof(attr)), 0);
    }
    lfs_off_t before = root_off(lfs);
    uint32_t wear = bd_emu_wear(d.bd, 0) + bd_emu_wear(d.bd, 1);
    assert_int_equal(lfs_fs_gc(lfs), 0);
    lfs_off_t after = root_off(lfs);
    uint32_t wear2 = bd_emu_wear(d.bd, 0) + bd_emu_wear(d.bd, 1);
    if (expect_compact) {
        assert_true(after < before / 2);
        assert_int_equal(wear2, wear + 1);
    } else {
        assert_int_equal(after, before);
        assert_int_equal(wear2, wear);
    }
    uint8_t back[40];
    assert_int_equal(lfs_getattr(lfs, "f", 'a', back, sizeof(back)), 40);
    assert_memory_equal(back, attr, sizeof(attr));
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

static void test_gc_thresh(void **state) {
    (void)state;
    run_gc(512, true);              // log above the threshold
    run_gc(900, false);             // below
    run_gc(0, false);               // default: 7/8 of the block
    run_gc((lfs_size_t)-1, false);  // compaction by gc disabled
}

/* ---- block_cycles ------------------------------------------------------- */

static void test_block_cycles(void **state) {
    (void)state;
    struct wdev d;
    mkdev(&d, 16, 512, 128);
    d.cfg.block_cycles = 5;
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mkdir(lfs, "d"), 0);
    wwrite(lfs, "d/f", (const uint8_t *)"abc", 3, LFS_O_WRONLY | LFS_O_CREAT);
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(lfs, &dir, "d"), 0);
    lfs_block_t first[2] = {dir.m.pair[0], dir.m.pair[1]};
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    uint8_t attr[100];
    int moved = 0;
    for (int i = 0; i < 200; i++) {
        wfill(attr, sizeof(attr), (uint32_t)i);
        assert_int_equal(lfs_setattr(lfs, "d/f", 'a', attr, sizeof(attr)), 0);
        assert_int_equal(lfs_dir_open(lfs, &dir, "d"), 0);
        moved += !lfs_pair_sharesblock(dir.m.pair, first);
        assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    }
    assert_true(moved > 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    wcheck(lfs, "d/f", (const uint8_t *)"abc", 3);
    uint8_t back[100];
    assert_int_equal(lfs_getattr(lfs, "d/f", 'a', back, sizeof(back)), 100);
    assert_memory_equal(back, attr, sizeof(attr));
    // no block of the old pair is still in the directory's pair
    assert_int_equal(lfs_dir_open(lfs, &dir, "d"), 0);
    assert_false(lfs_pair_sharesblock(dir.m.pair, first));
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- lfs_fs_mkconsistent after a cut mkdir ------------------------------- */

static jmp_buf cut_jmp;

static void cut_cb(void *ctx) {
    (void)ctx;
    longjmp(cut_jmp, 1);
}

static void test_mkconsistent(void **state) {
    (void)state;
    struct wdev d;
    mkdev(&d, 16, 256, 128);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    // a root split over several pairs: a new name in the first pair links
    // its pair after that pair before naming it (an orphan in between)
    for (int i = 0; i < 24; i++) {
        char path[32];
        snprintf(path, sizeof(path), "m-entry-%02d", i);
        wwrite(lfs, path, (const uint8_t *)"y", 1, LFS_O_WRONLY | LFS_O_CREAT);
    }
    assert_true(count_pairs(&d, NULL) >= 3);
    assert_int_equal(lfs_unmount(lfs), 0);
    bd_emu_snapshot_t *snap = bd_emu_snapshot(d.bd);

    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    int pairs = count_pairs(&d, NULL);
    uint64_t w0 = bd_emu_write_ops(d.bd);
    assert_int_equal(lfs_mkdir(lfs, "a-dir"), 0);
    uint64_t total = bd_emu_write_ops(d.bd) - w0;
    assert_int_equal(lfs_unmount(lfs), 0);

    int orphaned = 0;
    for (uint64_t n = 1; n <= total; n++) {
        assert_int_equal(bd_emu_restore(d.bd, snap), 0);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n,
                BD_EMU_FAULT_ATOMIC, cut_cb, NULL), 0);
        if (!setjmp(cut_jmp)) {
            (void)lfs_mkdir(lfs, "a-dir");
            fail_msg("cut %llu never fired", (unsigned long long)n);
        }
        lfs_deinit(lfs);
        bd_emu_power_on(d.bd);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        if (lfs_gstate_orphans(&lfs->gdisk) == 0) {
            assert_int_equal(lfs_unmount(lfs), 0);
            continue;
        }
        orphaned += 1;
        struct lfs_info info;
        assert_int_equal(lfs_stat(lfs, "a-dir", &info), LFS_ERR_NOENT);
        // the orphan is in the threaded list until mkconsistent drops it
        assert_int_equal(count_pairs(&d, NULL), pairs + 1);
        assert_int_equal(lfs_fs_mkconsistent(lfs), 0);
        assert_int_equal(lfs_gstate_orphans(&lfs->gdisk), 0);
        assert_int_equal(count_pairs(&d, NULL), pairs);
        assert_int_equal(lfs_unmount(lfs), 0);
        assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
        assert_int_equal(lfs_gstate_orphans(&lfs->gdisk), 0);
        assert_int_equal(lfs_mkdir(lfs, "a-dir"), 0);
        assert_int_equal(lfs_stat(lfs, "a-dir", &info), 0);
        assert_int_equal(lfs_unmount(lfs), 0);
    }
    assert_true(orphaned > 0);
    bd_emu_snapshot_free(snap);
    wdev_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_format),
        cmocka_unit_test(test_compaction),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_gc_thresh),
        cmocka_unit_test(test_block_cycles),
        cmocka_unit_test(test_mkconsistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
