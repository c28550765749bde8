/*
 * test_lfs_rev.c - choosing the block of a metadata pair and the commit
 * in it: revision counts compared with sequence arithmetic (across the
 * 32-bit wrap), fallback to the other block when the newer one has no
 * valid commit, and "the last valid commit wins" for torn or garbage
 * commits.  Pairs are built by hand as the spec lays them out.
 */
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define BS 512
#define BC 16

static void test_scmp(void **state) {
    (void)state;
    assert_true(lfs_scmp(1, 0) > 0);
    assert_true(lfs_scmp(0, 1) < 0);
    assert_int_equal(lfs_scmp(7, 7), 0);
    // across the wrap: 0 comes after 0xffffffff
    assert_true(lfs_scmp(0, 0xffffffff) > 0);
    assert_true(lfs_scmp(0xffffffff, 0) < 0);
    assert_true(lfs_scmp(3, 0xfffffffd) > 0);
    assert_true(lfs_scmp(0x80000000, 0x7fffffff) > 0);
    assert_true(lfs_scmp(0x7fffffff, 0) > 0);
    // half the circle away: "before"
    assert_true(lfs_scmp(0x80000000, 0) < 0);
    assert_true(lfs_scmp(0, 0x80000000) < 0);
}

static void test_newest(void **state) {
    (void)state;
    assert_int_equal(lfs_mdir_newest(1, true, 2, true), 1);
    assert_int_equal(lfs_mdir_newest(2, true, 1, true), 0);
    assert_int_equal(lfs_mdir_newest(5, true, 5, true), 0);
    assert_int_equal(lfs_mdir_newest(0xffffffff, true, 0, true), 1);
    assert_int_equal(lfs_mdir_newest(0, true, 0xffffffff, true), 0);
    assert_int_equal(lfs_mdir_newest(9, false, 1, true), 1);
    assert_int_equal(lfs_mdir_newest(1, true, 9, false), 0);
}

struct fsimg {
    uint8_t data[BS*BC];
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
};

static void fs_init(struct fsimg *f) {
    memset(f->data, 0xff, sizeof(f->data));
    f->bd.data = f->data;
    f->bd.block_size = BS;
    f->bd.block_count = BC;
    testbd_config(&f->cfg, &f->bd, 16, 16, 64);
}

/* Superblock commit of a root with one inline file `name`. */
static void superblock_with(struct mbuilder *m, const char *name) {
    mb_superblock(m, 0x00020001, BS, BC, 0, 0, 0);
    mb_tag(m, mk(0x401, 1, 0), NULL);
    mb_name(m, LFS_TYPE_REG, 1, name);
    mb_tag(m, mk(0x201, 1, (uint32_t)strlen(name)), name);
    mb_commit(m, 0);
}

/* Names listed in the root, joined by spaces. */
static int list_root(struct fsimg *f, char *out, size_t cap) {
    int err = lfs_mount(&f->lfs, &f->cfg);
    if (err) {
        return err;
    }
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(&f->lfs, &dir, "/"), 0);
    struct lfs_info info;
    out[0] = '\0';
    while (lfs_dir_read(&f->lfs, &dir, &info) == 1) {
        if (strcmp(info.name, ".") && strcmp(info.name, "..")) {
            snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                    out[0] ? " " : "", info.name);
        }
    }
    assert_int_equal(lfs_dir_close(&f->lfs, &dir), 0);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    assert_int_equal(f->bd.bad_requests, 0);
    return 0;
}

static int pick(uint32_t rev0, uint32_t rev1, bool bad0, bool bad1,
        char *out) {
    static struct fsimg f;
    fs_init(&f);
    struct mbuilder m;
    mb_begin(&m, f.data, BS, 16, rev0);
    superblock_with(&m, "zero");
    mb_begin(&m, f.data + BS, BS, 16, rev1);
    superblock_with(&m, "one");
    if (bad0) {
        f.data[20] ^= 0x01;
    }
    if (bad1) {
        f.data[BS + 20] ^= 0x01;
    }
    return list_root(&f, out, 64);
}

static void test_pair_picks_newer_revision(void **state) {
    (void)state;
    char name[64];
    assert_int_equal(pick(1, 2, false, false, name), 0);
    assert_string_equal(name, "one");
    assert_int_equal(pick(2, 1, false, false, name), 0);
    assert_string_equal(name, "zero");
    assert_int_equal(pick(0xffffffff, 0, false, false, name), 0);
    assert_string_equal(name, "one");
    assert_int_equal(pick(0, 0xffffffff, false, false, name), 0);
    assert_string_equal(name, "zero");
    assert_int_equal(pick(0x7fffffff, 0x80000000, false, false, name), 0);
    assert_string_equal(name, "one");
    assert_int_equal(pick(0xfffffffe, 0x00000003, false, false, name), 0);
    assert_string_equal(name, "one");
    assert_int_equal(pick(5, 5, false, false, name), 0);
    assert_string_equal(name, "zero");
}

static void test_pair_falls_back(void **state) {
    (void)state;
    char name[64];
    // the newer block is garbage: the older one is used
    assert_int_equal(pick(1, 2, false, true, name), 0);
    assert_string_equal(name, "zero");
    assert_int_equal(pick(0xffffffff, 0, false, true, name), 0);
    assert_string_equal(name, "zero");
    assert_int_equal(pick(2, 1, true, false, name), 0);
    assert_string_equal(name, "one");
    // neither block is valid
    assert_int_equal(pick(1, 2, true, true, name), LFS_ERR_CORRUPT);
}

/* Block 0 holds several commits; damage the later ones in various ways. */
static int commits(int damage, char *out) {
    static struct fsimg f;
    fs_init(&f);
    struct mbuilder m;
    mb_begin(&m, f.data, BS, 16, 1);
    superblock_with(&m, "a");
    lfs_off_t second = m.off;
    mb_tag(&m, mk(0x401, 2, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 2, "b");
    mb_tag(&m, mk(0x201, 2, 1), "b");
    mb_commit(&m, 0);
    lfs_off_t third = m.off;
    mb_tag(&m, mk(0x401, 3, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 3, "c");
    mb_tag(&m, mk(0x201, 3, 1), "c");
    mb_commit(&m, 0);
    lfs_off_t end = m.off;
    lfs_off_t crcoff = m.crcoff;

    switch (damage) {
    case 1:     // third commit's data flipped: its CRC fails
        f.data[third + 6] ^= 0x40;
        break;
    case 2:     // third commit torn half-way: the rest still erased
        memset(f.data + third + 8, 0xff, end - third - 8);
        break;
    case 3:     // second commit garbage: the third cannot be reached
        f.data[second + 5] ^= 0x01;
        break;
    case 4:     // garbage after the last commit
        memset(f.data + end, 0x5a, 40);
        break;
    case 5:     // the third commit's CRC tag claims a size past the block
        lfs_put_be32(f.data + crcoff, lfs_get_be32(f.data + crcoff) ^ 0x3ff);
        break;
    }
    return list_root(&f, out, 64);
}

static void test_last_valid_commit_wins(void **state) {
    (void)state;
    char names[64];
    assert_int_equal(commits(0, names), 0);
    assert_string_equal(names, "a b c");
    assert_int_equal(commits(1, names), 0);
    assert_string_equal(names, "a b");
    assert_int_equal(commits(2, names), 0);
    assert_string_equal(names, "a b");
    assert_int_equal(commits(3, names), 0);
    assert_string_equal(names, "a");
    assert_int_equal(commits(4, names), 0);
    assert_string_equal(names, "a b c");
    assert_int_equal(commits(5, names), 0);
    assert_string_equal(names, "a b");
}

/* The newer block of the pair holds only its revision: the older one. */
static void test_newer_block_without_commits(void **state) {
    (void)state;
    static struct fsimg f;
    fs_init(&f);
    struct mbuilder m;
    mb_begin(&m, f.data, BS, 16, 7);
    superblock_with(&m, "old");
    lfs_put_le32(f.data + BS, 8);
    char names[64];
    assert_int_equal(list_root(&f, names, sizeof(names)), 0);
    assert_string_equal(names, "old");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scmp),
        cmocka_unit_test(test_newest),
        cmocka_unit_test(test_pair_picks_newer_revision),
        cmocka_unit_test(test_pair_falls_back),
        cmocka_unit_test(test_last_valid_commit_wins),
        cmocka_unit_test(test_newer_block_without_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
