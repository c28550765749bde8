/*
 * test_lfs_crafted.c - on-disk situations the golden images do not hold,
 * built by hand as the spec lays them out: a rename cut between its two
 * commits (pending move in gstate), id splices from creates and deletes,
 * superseded structs and deleted attributes, root attributes on the
 * superblock entry, loops in hard-tail chains and in the threaded list,
 * damaged skip-lists, superblock versions and limits, FCRC-checked erased
 * state, and orphan counts in gstate.
 */
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define BS 512
#define BC 32
#define PROG 16

struct fsimg {
    uint8_t data[BS*BC];
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
    struct mbuilder m;
};

static struct fsimg *fs_new(void) {
    struct fsimg *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    memset(f->data, 0xff, sizeof(f->data));
    f->bd.data = f->data;
    f->bd.block_size = BS;
    f->bd.block_count = BC;
    testbd_config(&f->cfg, &f->bd, PROG, PROG, 64);
    return f;
}

static void fs_free(struct fsimg *f) {
    assert_int_equal(f->bd.bad_requests, 0);
    free(f);
}

/* Start a metadata block (block b of the image). */
static struct mbuilder *blk(struct fsimg *f, lfs_block_t b, uint32_t rev) {
    mb_begin(&f->m, f->data + (size_t)b*BS, BS, PROG, rev);
    return &f->m;
}

static void inline_file(struct mbuilder *m, uint32_t id, const char *name,
        const char *content) {
    mb_tag(m, mk(0x401, id, 0), NULL);
    mb_name(m, LFS_TYPE_REG, id, name);
    mb_tag(m, mk(0x201, id, (uint32_t)strlen(content)), content);
}

static void dir_entry(struct mbuilder *m, uint32_t id, const char *name,
        lfs_block_t a, lfs_block_t b) {
    mb_tag(m, mk(0x401, id, 0), NULL);
    mb_name(m, LFS_TYPE_DIR, id, name);
    mb_pair(m, 0x200, id, a, b);
}

static void gdelta(struct mbuilder *m, uint32_t tag, lfs_block_t a,
        lfs_block_t b) {
    uint8_t raw[12];
    lfs_put_le32(raw, tag);
    lfs_put_le32(raw + 4, a);
    lfs_put_le32(raw + 8, b);
    mb_tag(m, mk(0x7ff, 0x3ff, 12), raw);
}

static void mount(struct fsimg *f) {
    assert_int_equal(lfs_mount(&f->lfs, &f->cfg), 0);
}

static void list(struct fsimg *f, const char *path, char *out, size_t cap) {
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(&f->lfs, &dir, path), 0);
    struct lfs_info info;
    out[0] = '\0';
    int res;
    while ((res = lfs_dir_read(&f->lfs, &dir, &info)) == 1) {
        if (strcmp(info.name, ".") && strcmp(info.name, "..")) {
            snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                    out[0] ? " " : "", info.name);
        }
    }
    assert_int_equal(res, 0);
    assert_int_equal(lfs_dir_close(&f->lfs, &dir), 0);
}

static void expect_content(struct fsimg *f, const char *path,
        const char *content) {
    lfs_file_t file;
    assert_int_equal(lfs_file_open(&f->lfs, &file, path, LFS_O_RDONLY), 0);
    char buf[600];
    lfs_ssize_t n = lfs_file_read(&f->lfs, &file, buf, sizeof(buf));
    assert_int_equal(n, (lfs_ssize_t)strlen(content));
    assert_memory_equal(buf, content, strlen(content));
    assert_int_equal(lfs_file_close(&f->lfs, &file), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&f->lfs, path, &info), 0);
    assert_int_equal(info.size, strlen(content));
}

static void expect_attr(struct fsimg *f, const char *path, uint8_t type,
        const char *value) {
    char buf[64];
    lfs_ssize_t n = lfs_getattr(&f->lfs, path, type, buf, sizeof(buf));
    if (!value) {
        assert_int_equal(n, LFS_ERR_NOATTR);
        return;
    }
    assert_int_equal(n, (lfs_ssize_t)strlen(value));
    assert_memory_equal(buf, value, strlen(value));
}

/* Root with a, b, c and directory d; d holds the moved copy of b. */
static struct fsimg *build_move(bool completed) {
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    inline_file(m, 1, "a", "AAAA");
    mb_tag(m, mk(0x301, 1, 2), "a1");
    inline_file(m, 2, "b", "BBBBB");
    mb_tag(m, mk(0x301, 2, 2), "b1");
    inline_file(m, 3, "c", "CCCCCC");
    mb_tag(m, mk(0x301, 3, 2), "c1");
    dir_entry(m, 4, "d", 2, 3);
    mb_pair(m, 0x600, 0x3ff, 2, 3);
    mb_commit(m, 0);
    if (completed) {
        // the second half of the rename: source deleted, gstate cleared
        mb_tag(m, mk(0x4ff, 2, 0), NULL);
        gdelta(m, mk(0x4ff, 2, 0), 0, 1);
        mb_commit(m, 0);
    }

    m = blk(f, 2, 1);
    inline_file(m, 0, "b", "BBBBB");
    mb_tag(m, mk(0x301, 0, 2), "b1");
    gdelta(m, mk(0x4ff, 2, 0), 0, 1);
    mb_commit(m, 0);
    return f;
}

static void check_moved(struct fsimg *f) {
    char names[128];
    list(f, "/", names, sizeof(names));
    assert_string_equal(names, "a c d");
    list(f, "/d", names, sizeof(names));
    assert_string_equal(names, "b");

    struct lfs_info info;
    assert_int_equal(lfs_stat(&f->lfs, "/b", &info), LFS_ERR_NOENT);
    lfs_file_t file;
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/b", LFS_O_RDONLY),
            LFS_ERR_NOENT);
    expect_content(f, "/a", "AAAA");
    expect_content(f, "/c", "CCCCCC");
    expect_content(f, "/d/b", "BBBBB");
    expect_attr(f, "/a", 0x01, "a1");
    expect_attr(f, "/c", 0x01, "c1");
    expect_attr(f, "/d/b", 0x01, "b1");
    assert_int_equal(lfs_stat(&f->lfs, "/d", &info), 0);
    assert_int_equal(info.type, LFS_TYPE_DIR);

    // tell/seek positions still lead to the same entries
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(&f->lfs, &dir, "/"), 0);
    lfs_soff_t pos[8];
    char seen[8][LFS_NAME_MAX + 1];
    int n = 0;
    while (true) {
        pos[n] = lfs_dir_tell(&f->lfs, &dir);
        if (lfs_dir_read(&f->lfs, &dir, &info) != 1) {
            break;
        }
        strcpy(seen[n++], info.name);
    }
    assert_int_equal(n, 5);
    for (int i = n - 1; i >= 0; i--) {
        assert_int_equal(lfs_dir_seek(&f->lfs, &dir, (lfs_off_t)pos[i]), 0);
        assert_int_equal(lfs_dir_read(&f->lfs, &dir, &info), 1);
        assert_string_equal(info.name, seen[i]);
    }
    assert_int_equal(lfs_dir_close(&f->lfs, &dir), 0);
    assert_int_equal(lfs_fs_size(&f->lfs), 4);
}

static void test_pending_move_hides_source(void **state) {
    (void)state;
    struct fsimg *f = build_move(false);
    mount(f);
    assert_true(lfs_gstate_hasmove(&f->lfs.gdisk));
    assert_int_equal(lfs_tag_id(f->lfs.gdisk.tag), 2);
    check_moved(f);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

static void test_completed_move(void **state) {
    (void)state;
    struct fsimg *f = build_move(true);
    mount(f);
    assert_true(lfs_gstate_iszero(&f->lfs.gdisk));
    check_moved(f);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

/* Entries created out of order, deleted, and their structs superseded. */
static void test_splices(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    inline_file(m, 1, "m", "M");
    mb_commit(m, 0);
    inline_file(m, 1, "b", "B");        /* m moves to id 2 */
    mb_commit(m, 0);
    inline_file(m, 3, "z", "Z");
    mb_tag(m, mk(0x3aa, 3, 3), "zzz");
    mb_commit(m, 0);
    inline_file(m, 1, "a", "A");        /* b 2, m 3, z 4 */
    mb_commit(m, 0);
    mb_tag(m, mk(0x4ff, 2, 0), NULL);   /* b gone: a 1, m 2, z 3 */
    mb_tag(m, mk(0x201, 2, 2), "MM");   /* m's data superseded */
    mb_tag(m, mk(0x3aa, 3, 0x3ff), NULL); /* z's attribute deleted */
    mb_commit(m, 0);
    mount(f);

    char names[64];
    list(f, "/", names, sizeof(names));
    assert_string_equal(names, "a m z");
    expect_content(f, "/a", "A");
    expect_content(f, "/m", "MM");
    expect_content(f, "/z", "Z");
    struct lfs_info info;
    assert_int_equal(lfs_stat(&f->lfs, "/b", &info), LFS_ERR_NOENT);
    expect_attr(f, "/z", 0xaa, NULL);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

/* The root's attributes live on the superblock entry. */
static void test_root_attributes(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    mb_tag(m, mk(0x37f, 0, 4), "root");
    inline_file(m, 1, "f", "F");
    mb_tag(m, mk(0x37f, 1, 4), "file");
    mb_commit(m, 0);
    mount(f);
    expect_attr(f, "/", 0x7f, "root");
    expect_attr(f, "/.", 0x7f, "root");
    expect_attr(f, "/f", 0x7f, "file");
    expect_attr(f, "/", 0x01, NULL);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

static int count_blocks(void *data, lfs_block_t block) {
    (void)block;
    *(int*)data += 1;
    return 0;
}

/* A directory whose hard tails loop, outside the threaded list. */
static void test_hardtail_loop(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    dir_entry(m, 1, "d", 2, 3);
    mb_commit(m, 0);
    m = blk(f, 2, 1);
    inline_file(m, 0, "x", "X");
    mb_pair(m, 0x601, 0x3ff, 4, 5);
    mb_commit(m, 0);
    m = blk(f, 4, 1);
    inline_file(m, 0, "y", "Y");
    mb_pair(m, 0x601, 0x3ff, 3, 2);
    mb_commit(m, 0);
    mount(f);

    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(&f->lfs, &dir, "/d"), 0);
    struct lfs_info info;
    int res, reads = 0;
    while ((res = lfs_dir_read(&f->lfs, &dir, &info)) == 1) {
        reads += 1;
        assert_true(reads < 100);
    }
    assert_int_equal(res, LFS_ERR_CORRUPT);
    assert_int_equal(lfs_dir_seek(&f->lfs, &dir, 1000), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_dir_close(&f->lfs, &dir), 0);

    assert_int_equal(lfs_stat(&f->lfs, "/d/x", &info), 0);
    assert_int_equal(lfs_stat(&f->lfs, "/d/y", &info), 0);
    assert_int_equal(lfs_stat(&f->lfs, "/d/zzz", &info), LFS_ERR_CORRUPT);
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(&f->lfs, count_blocks, &blocks), 0);
    assert_int_equal(blocks, 4);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

/* A loop in the threaded list of all pairs: mount refuses it. */
static void test_thread_loop(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    dir_entry(m, 1, "d", 2, 3);
    mb_pair(m, 0x600, 0x3ff, 2, 3);
    mb_commit(m, 0);
    m = blk(f, 2, 1);
    mb_pair(m, 0x600, 0x3ff, 4, 5);
    mb_commit(m, 0);
    m = blk(f, 4, 1);
    mb_pair(m, 0x600, 0x3ff, 2, 3);
    mb_commit(m, 0);
    assert_int_equal(lfs_mount(&f->lfs, &f->cfg), LFS_ERR_CORRUPT);

    // a tail pointing outside the device
    m = blk(f, 4, 1);
    mb_pair(m, 0x600, 0x3ff, 6, BC + 3);
    mb_commit(m, 0);
    assert_int_equal(lfs_mount(&f->lfs, &f->cfg), LFS_ERR_CORRUPT);
    fs_free(f);
}

/* Write skip-list block `index` of a file into physical block b. */
static void ctz_block(struct fsimg *f, lfs_block_t b, uint32_t index,
        const lfs_block_t *blocks, uint8_t fill) {
    uint8_t *p = f->data + (size_t)b*BS;
    memset(p, fill, BS);
    if (index > 0) {
        uint32_t count = lfs_ctz(index) + 1;
        for (uint32_t i = 0; i < count; i++) {
            lfs_put_le32(p + 4*i, blocks[index - (1u << i)]);
        }
    }
}

static void ctz_entry(struct mbuilder *m, uint32_t id, const char *name,
        lfs_block_t head, lfs_size_t size) {
    uint8_t raw[8];
    lfs_put_le32(raw, head);
    lfs_put_le32(raw + 4, size);
    mb_tag(m, mk(0x401, id, 0), NULL);
    mb_name(m, LFS_TYPE_REG, id, name);
    mb_tag(m, mk(0x202, id, 8), raw);
}

static void test_ctz_damage(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    // a good three-block file in blocks 10, 11, 12: 512 + 508 + 100 bytes
    // (block 1 holds one pointer, block 2 two)
    const lfs_block_t good[3] = {10, 11, 12};
    for (uint32_t i = 0; i < 3; i++) {
        ctz_block(f, good[i], i, good, (uint8_t)('a' + i));
    }
    // a file whose every pointer points at its head
    const lfs_block_t self[4] = {14, 14, 14, 14};
    ctz_block(f, 14, 3, self, 'z');
    for (int i = 0; i < 4; i++) {
        lfs_put_le32(f->data + 14*BS + 4*i, 14);
    }

    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    ctz_entry(m, 1, "good", 12, 512 + 508 + 100);
    ctz_entry(m, 2, "huge", 12, 0x7ff00000);
    ctz_entry(m, 3, "outside", BC + 5, 3000);
    ctz_entry(m, 4, "self", 14, 1800);
    ctz_entry(m, 5, "toolong", 12, 0x90000000);
    mb_commit(m, 0);
    mount(f);

    lfs_file_t file;
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/good", LFS_O_RDONLY), 0);
    static uint8_t buf[2000];
    assert_int_equal(lfs_file_read(&f->lfs, &file, buf, sizeof(buf)), 1120);
    for (int i = 0; i < 1120; i++) {
        assert_int_equal(buf[i], i < 512 ? 'a' : i < 1020 ? 'b' : 'c');
    }
    assert_int_equal(lfs_file_seek(&f->lfs, &file, 1000, LFS_SEEK_SET), 1000);
    assert_int_equal(lfs_file_read(&f->lfs, &file, buf, 40), 40);
    assert_int_equal(buf[19], 'b');
    assert_int_equal(buf[20], 'c');
    assert_int_equal(lfs_file_close(&f->lfs, &file), 0);

    // sizes the disk cannot hold, heads outside it
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/huge", LFS_O_RDONLY),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/outside", LFS_O_RDONLY),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/toolong", LFS_O_RDONLY),
            LFS_ERR_CORRUPT);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&f->lfs, "/huge", &info), 0);
    assert_int_equal(info.size, 0x7ff00000);

    // a looping skip-list reads (wrong data) without hanging
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/self", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_read(&f->lfs, &file, buf, sizeof(buf)), 1800);
    assert_int_equal(lfs_file_close(&f->lfs, &file), 0);

    // traversal stops at the first skip-list that cannot be on this disk
    int blocks = 0;
    assert_int_equal(lfs_fs_traverse(&f->lfs, count_blocks, &blocks),
            LFS_ERR_CORRUPT);
    assert_int_equal(lfs_fs_size(&f->lfs), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

static int mount_superblock(uint32_t version, lfs_size_t block_size,
        lfs_size_t block_count, lfs_size_t name_max, lfs_size_t cfg_count,
        struct fsimg **out) {
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    mb_superblock(m, version, block_size, block_count, name_max, 0, 0);
    inline_file(m, 1, "a-twenty-byte-name-x", "x");
    mb_commit(m, 0);
    f->cfg.block_count = cfg_count;
    int err = lfs_mount(&f->lfs, &f->cfg);
    if (out && !err) {
        *out = f;
    } else {
        if (!err) {
            assert_int_equal(lfs_unmount(&f->lfs), 0);
        }
        fs_free(f);
    }
    return err;
}

static void test_superblock_checks(void **state) {
    (void)state;
    assert_int_equal(mount_superblock(0x00020001, BS, BC, 0, BC, NULL), 0);
    assert_int_equal(mount_superblock(0x00020000, BS, BC, 0, BC, NULL), 0);
    // newer minor or another major: refused
    assert_int_equal(mount_superblock(0x00020002, BS, BC, 0, BC, NULL),
            LFS_ERR_INVAL);
    assert_int_equal(mount_superblock(0x00030000, BS, BC, 0, BC, NULL),
            LFS_ERR_INVAL);
    assert_int_equal(mount_superblock(0x00010001, BS, BC, 0, BC, NULL),
            LFS_ERR_INVAL);
    // geometry that does not match the config
    assert_int_equal(mount_superblock(0x00020001, 1024, BC, 0, BC, NULL),
            LFS_ERR_INVAL);
    assert_int_equal(mount_superblock(0x00020001, BS, BC/2, 0, BC, NULL),
            LFS_ERR_INVAL);
    // names longer than the config allows
    assert_int_equal(mount_superblock(0x00020001, BS, BC, LFS_NAME_MAX + 1,
            BC, NULL), LFS_ERR_INVAL);
    // a block count that makes no sense
    assert_int_equal(mount_superblock(0x00020001, BS, 1, 0, 0, NULL),
            LFS_ERR_CORRUPT);

    // block count from disk; on-disk version reported
    struct fsimg *f = NULL;
    assert_int_equal(mount_superblock(0x00020000, BS, BC, 0, 0, &f), 0);
    struct lfs_fsinfo fsinfo;
    assert_int_equal(lfs_fs_stat(&f->lfs, &fsinfo), 0);
    assert_int_equal(fsinfo.block_count, BC);
    assert_int_equal(fsinfo.disk_version, 0x00020000);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);

    // a smaller name_max on disk applies: longer names cannot exist
    f = NULL;
    assert_int_equal(mount_superblock(0x00020001, BS, BC, 16, BC, &f), 0);
    assert_int_equal(lfs_fs_stat(&f->lfs, &fsinfo), 0);
    assert_int_equal(fsinfo.name_max, 16);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&f->lfs, "/a-twenty-byte-name-x", &info),
            LFS_ERR_NOENT);
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(&f->lfs, &dir, "/"), 0);
    assert_int_equal(lfs_dir_read(&f->lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(&f->lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(&f->lfs, &dir, &info), LFS_ERR_CORRUPT);
    assert_int_equal(lfs_dir_close(&f->lfs, &dir), 0);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    fs_free(f);
}

/* The pair {0, 1} must hold the superblock. */
static void test_no_superblock(void **state) {
    (void)state;
    struct fsimg *f = fs_new();
    struct mbuilder *m = blk(f, 0, 1);
    inline_file(m, 0, "a", "A");
    mb_pair(m, 0x600, 0x3ff, 2, 3);
    mb_commit(m, 0);
    m = blk(f, 2, 1);
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    mb_commit(m, 0);
    assert_int_equal(lfs_mount(&f->lfs, &f->cfg), LFS_ERR_INVAL);

    m = blk(f, 0, 1);
    mb_tag(m, mk(0x401, 0, 0), NULL);
    mb_tag(m, mk(0x0ff, 0, 8), "littlefz");
    mb_commit(m, 0);
    int err = lfs_mount(&f->lfs, &f->cfg);
    assert_true(err == LFS_ERR_INVAL || err == LFS_ERR_NOENT);
    fs_free(f);
}

/* FCRC: the bytes after the last commit are trusted erased only if their
 * CRC matches; reading is the same either way. */
static void test_fcrc_erased_state(void **state) {
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        struct fsimg *f = fs_new();
        struct mbuilder *m = blk(f, 0, 1);
        mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
        inline_file(m, 1, "a", "A");
        mb_commit(m, variant == 2 ? 0 : PROG);
        if (variant == 1) {
            // a program to the next commit was attempted and cut short
            f->data[m->off + 9] = 0x00;
        }
        mount(f);
        lfs_mdir_t dir;
        assert_int_equal(lfs_mdir_fetch(&f->lfs, &dir, f->lfs.root), 0);
        assert_int_equal(dir.erased, variant == 0);
        char names[16];
        list(f, "/", names, sizeof(names));
        assert_string_equal(names, "a");
        assert_int_equal(lfs_unmount(&f->lfs), 0);
        fs_free(f);
    }
}

/* Orphan counts in gstate, and the sync bit of 2.0 counting as one. */
static void test_gstate_orphans(void **state) {
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        struct fsimg *f = fs_new();
        struct mbuilder *m = blk(f, 0, 1);
        mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
        mb_pair(m, 0x600, 0x3ff, 2, 3);
        gdelta(m, variant ? 0x80000000u : 1, 0, 0);
        mb_commit(m, 0);
        m = blk(f, 2, 1);
        gdelta(m, variant ? 0 : 3, 0, 0);
        mb_commit(m, 0);
        mount(f);
        assert_int_equal(lfs_gstate_orphans(&f->lfs.gstate), variant ? 1 : 2);
        assert_false(lfs_gstate_hasmove(&f->lfs.gstate));
        assert_int_equal(lfs_unmount(&f->lfs), 0);
        fs_free(f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_move_hides_source),
        cmocka_unit_test(test_completed_move),
        cmocka_unit_test(test_splices),
        cmocka_unit_test(test_root_attributes),
        cmocka_unit_test(test_hardtail_loop),
        cmocka_unit_test(test_thread_loop),
        cmocka_unit_test(test_ctz_damage),
        cmocka_unit_test(test_superblock_checks),
        cmocka_unit_test(test_no_superblock),
        cmocka_unit_test(test_fcrc_erased_state),
        cmocka_unit_test(test_gstate_orphans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
