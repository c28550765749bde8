/*
 * test_lfs_path.c - path parsing: how a path splits into the names a
 * lookup matches ("/", repeated and trailing separators, ".", "..",
 * climbing above the root, names that merely contain dots), and the same
 * paths through the public API on a golden image, including names too
 * long for the disk and trailing separators after files.
 */
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* The names a lookup of `path` visits, joined by '|', assuming every
 * name is a directory; or "INVAL". */
static void split(const char *path, char *out, size_t cap) {
    out[0] = '\0';
    const char *p = path;
    while (true) {
        lfs_ssize_t n = lfs_path_next(&p, true);
        if (n < 0) {
            snprintf(out, cap, "INVAL");
            assert_int_equal(n, LFS_ERR_INVAL);
            return;
        }
        if (*p == '\0') {
            return;
        }
        assert_true(n > 0);
        snprintf(out + strlen(out), cap - strlen(out), "%s%.*s",
                out[0] ? "|" : "", (int)n, p);
        p += n;
    }
}

static void test_split(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"/", ""},
        {"", ""},
        {"a", "a"},
        {"/a", "a"},
        {"a//b", "a|b"},
        {"a///", "a"},
        {"./a/./b/.", "a|b"},
        {"a/b/../c", "a|c"},
        {"a/../b", "b"},
        {"a/..", ""},
        {"a/b/c/../../d", "a|d"},
        {"a/b/../../c/", "c"},
        {"a/./../b", "b"},
        {"..", "INVAL"},
        {"/..", "INVAL"},
        {"a/../..", "INVAL"},
        {"./..", "INVAL"},
        {"...", "..."},
        {"a..b/.c", "a..b|.c"},
        {".hidden", ".hidden"},
    };
    for (size_t i = 0; i < sizeof(cases)/sizeof(cases[0]); i++) {
        char out[128];
        split(cases[i][0], out, sizeof(out));
        if (strcmp(out, cases[i][1]) != 0) {
            fail_msg("\"%s\" split as \"%s\", not \"%s\"",
                    cases[i][0], out, cases[i][1]);
        }
    }
}

/* After a file, separators are not skipped: what is left is not a name. */
static void test_after_file(void **state) {
    (void)state;
    const char *p = "/x";
    assert_int_equal(lfs_path_next(&p, false), 0);
    assert_string_equal(p, "/x");
    p = "";
    assert_int_equal(lfs_path_next(&p, false), 0);
    assert_string_equal(p, "");
    p = "/.";
    assert_int_equal(lfs_path_next(&p, false), 0);
    assert_string_equal(p, "/.");
}

struct fixture {
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
};

static int setup(void **state) {
    struct fixture *fx = calloc(1, sizeof(*fx));
    size_t size;
    fx->bd.data = test_readfile("basic-512.img", &size);
    if (!fx->bd.data) {
        return -1;
    }
    fx->bd.block_size = 512;
    fx->bd.block_count = 256;
    testbd_config(&fx->cfg, &fx->bd, 16, 16, 64);
    if (lfs_mount(&fx->lfs, &fx->cfg)) {
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    lfs_unmount(&fx->lfs);
    free(fx->bd.data);
    free(fx);
    return 0;
}

static void expect_stat(lfs_t *lfs, const char *path, int err,
        const char *name) {
    struct lfs_info info;
    int res = lfs_stat(lfs, path, &info);
    if (res != err) {
        fail_msg("stat \"%s\" gave %d, not %d", path, res, err);
    }
    if (!err && strcmp(info.name, name) != 0) {
        fail_msg("stat \"%s\" found \"%s\", not \"%s\"", path, info.name,
                name);
    }
}

static void test_lookups(void **state) {
    struct fixture *fx = *state;
    lfs_t *lfs = &fx->lfs;
    expect_stat(lfs, "/", 0, "/");
    expect_stat(lfs, "//", 0, "/");
    expect_stat(lfs, ".", 0, "/");
    expect_stat(lfs, "/.", 0, "/");
    expect_stat(lfs, "", LFS_ERR_INVAL, NULL);
    expect_stat(lfs, "docs", 0, "docs");
    expect_stat(lfs, "/docs/", 0, "docs");
    expect_stat(lfs, "docs//deep", 0, "deep");
    expect_stat(lfs, "docs/./deep/../deep/ctz.bin", 0, "ctz.bin");
    expect_stat(lfs, "docs/deep/deeper/../../inline.bin", 0, "inline.bin");
    expect_stat(lfs, "docs/..", 0, "/");
    expect_stat(lfs, "/..", LFS_ERR_INVAL, NULL);
    expect_stat(lfs, "docs/../..", LFS_ERR_INVAL, NULL);
    expect_stat(lfs, "missing", LFS_ERR_NOENT, NULL);
    expect_stat(lfs, "missing/x", LFS_ERR_NOENT, NULL);
    expect_stat(lfs, "docs/missing/x", LFS_ERR_NOENT, NULL);
    // a name cancelled by ".." is never looked up
    expect_stat(lfs, "missing/..", 0, "/");
    expect_stat(lfs, "zero2/..", 0, "/");
    // files end the path
    expect_stat(lfs, "zero2", 0, "zero2");
    expect_stat(lfs, "zero2/", LFS_ERR_NOTDIR, NULL);
    expect_stat(lfs, "zero2/.", LFS_ERR_NOTDIR, NULL);
    expect_stat(lfs, "zero2/x", LFS_ERR_NOTDIR, NULL);
    expect_stat(lfs, "docs/inline.bin/x", LFS_ERR_NOTDIR, NULL);
    // names are compared whole
    expect_stat(lfs, "doc", LFS_ERR_NOENT, NULL);
    expect_stat(lfs, "docsx", LFS_ERR_NOENT, NULL);
    expect_stat(lfs, "zero", LFS_ERR_NOENT, NULL);
    const char *real =
            "a-name-that-is-rather-long-to-test-name-handling-in-readers.dat";
    expect_stat(lfs, real, 0, real);

    // too long for the disk: cannot exist
    char longname[600];
    memset(longname, 'x', sizeof(longname));
    longname[sizeof(longname) - 1] = '\0';
    expect_stat(lfs, longname, LFS_ERR_NOENT, NULL);
    longname[LFS_NAME_MAX] = '\0';
    expect_stat(lfs, longname, LFS_ERR_NOENT, NULL);
    char path[700];
    memset(longname, 'y', sizeof(longname));
    longname[300] = '\0';
    snprintf(path, sizeof(path), "docs/%s/..", longname);
    expect_stat(lfs, path, 0, "docs");
    snprintf(path, sizeof(path), "docs/%s/x", longname);
    expect_stat(lfs, path, LFS_ERR_NOENT, NULL);
}

static void test_opens(void **state) {
    struct fixture *fx = *state;
    lfs_t *lfs = &fx->lfs;
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(lfs, &dir, "/docs/"), 0);
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    assert_int_equal(lfs_dir_open(lfs, &dir, "docs/deep/.."), 0);
    struct lfs_info info;
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_string_equal(info.name, "appended");
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    assert_int_equal(lfs_dir_open(lfs, &dir, "zero2"), LFS_ERR_NOTDIR);
    assert_int_equal(lfs_dir_open(lfs, &dir, "nothing"), LFS_ERR_NOENT);
    assert_int_equal(lfs_dir_open(lfs, &dir, ""), LFS_ERR_INVAL);

    lfs_file_t file;
    assert_int_equal(lfs_file_open(lfs, &file, "docs", LFS_O_RDONLY),
            LFS_ERR_ISDIR);
    assert_int_equal(lfs_file_open(lfs, &file, "docs/", LFS_O_RDONLY),
            LFS_ERR_ISDIR);
    assert_int_equal(lfs_file_open(lfs, &file, "zero2/", LFS_O_RDONLY),
            LFS_ERR_NOTDIR);
    assert_int_equal(lfs_file_open(lfs, &file, "./docs//inline.bin",
            LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_size(lfs, &file), 50);
    assert_int_equal(lfs_file_close(lfs, &file), 0);

    uint8_t buf[32];
    assert_int_equal(lfs_getattr(lfs, "/docs/", 0x42, buf, sizeof(buf)), 20);
    assert_int_equal(lfs_getattr(lfs, "docs/deep/..", 0x42, buf,
            sizeof(buf)), 20);
    assert_int_equal(lfs_getattr(lfs, "nothing", 0x42, buf, sizeof(buf)),
            LFS_ERR_NOENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_after_file),
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
