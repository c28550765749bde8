/*
 * test_lfs_namespace.c - renames that must be refused (a directory into
 * its own subtree, at any depth and through "." and ".." spellings) and
 * the order names are inserted in, checked against the independent
 * decoder scripts/lfsdump.py.  Run from the repository root (the decoder
 * is found at scripts/lfsdump.py, run by /usr/bin/python3).
 */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>
#include "test_lfs_write_util.h"

#define BS 512
#define BC 128

static void mkfs(struct wdev *d) {
    wdev_init(d, 16, 16, BS, BC, 64);
    assert_int_equal(lfs_format(&d->lfs, &d->cfg), 0);
    assert_int_equal(lfs_mount(&d->lfs, &d->cfg), 0);
}

static void expect_type(lfs_t *lfs, const char *path, int type) {
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, path, &info), 0);
    assert_int_equal(info.type, type);
}

static void expect_missing(lfs_t *lfs, const char *path) {
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, path, &info), LFS_ERR_NOENT);
}

/* The whole device content, to check a refused rename changed nothing. */
static uint64_t device_hash(struct wdev *d) {
    return bd_emu_hash(d->bd);
}

static void test_rename_into_self(void **state) {
    (void)state;
    struct wdev d;
    mkfs(&d);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_mkdir(lfs, "a"), 0);
    assert_int_equal(lfs_mkdir(lfs, "a/b"), 0);
    assert_int_equal(lfs_mkdir(lfs, "a/b/c"), 0);
    assert_int_equal(lfs_mkdir(lfs, "ab"), 0);
    uint8_t data[40];
    wfill(data, sizeof(data), 7);
    wwrite(lfs, "a/b/c/f", data, sizeof(data),
            LFS_O_WRONLY | LFS_O_CREAT);

    uint64_t before = device_hash(&d);
    static const char *const refused[][2] = {
        {"a", "a/x"},
        {"a", "a/b/x"},
        {"a", "a/b/c/a"},
        {"/a", "/a/b/c/a"},
        {"a/", "a//b/./c/../c/a"},
        {"a/b", "a/b/c/b"},
        {"a/b", "a/b/c"},       // existing directory inside the source
        {"a", "a/b"},
        {"a/../a", "./a/b/c/new"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(lfs_rename(lfs, refused[i][0], refused[i][1]),
                LFS_ERR_INVAL);
        assert_true(device_hash(&d) == before);
    }
    // the tree is unchanged, also after a remount
    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    expect_type(lfs, "a/b/c", LFS_TYPE_DIR);
    wcheck(lfs, "a/b/c/f", data, sizeof(data));
    expect_missing(lfs, "a/b/c/a");
    expect_missing(lfs, "a/x");

    // names that only share a prefix are not inside
    assert_int_equal(lfs_rename(lfs, "a/b/c", "ab/c"), 0);
    assert_int_equal(lfs_rename(lfs, "ab", "a/b/ab"), 0);
    assert_int_equal(lfs_rename(lfs, "a/b/ab/c", "a/c"), 0);
    wcheck(lfs, "a/c/f", data, sizeof(data));
    expect_type(lfs, "a/b/ab", LFS_TYPE_DIR);
    // a directory moves up out of its parent, and onto itself is a no-op
    assert_int_equal(lfs_rename(lfs, "a/b", "b"), 0);
    assert_int_equal(lfs_rename(lfs, "b", "b"), 0);
    assert_int_equal(lfs_rename(lfs, "b", "./b/../b"), 0);
    expect_type(lfs, "b/ab", LFS_TYPE_DIR);
    // a file's name may extend a directory's: only directories nest
    wwrite(lfs, "a/g", data, 3, LFS_O_WRONLY | LFS_O_CREAT);
    assert_int_equal(lfs_rename(lfs, "a/g", "a/c/g"), 0);
    wcheck(lfs, "a/c/g", data, 3);
    // the parent of the target missing: no such directory
    assert_int_equal(lfs_rename(lfs, "a", "q/r"), LFS_ERR_NOENT);

    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* Deep chain: the check costs no memory per level. */
static void test_rename_into_self_deep(void **state) {
    (void)state;
    struct wdev d;
    mkfs(&d);
    lfs_t *lfs = &d.lfs;
    char path[256] = "d";
    assert_int_equal(lfs_mkdir(lfs, path), 0);
    for (int i = 0; i < 20; i++) {
        strcat(path, "/d");
        assert_int_equal(lfs_mkdir(lfs, path), 0);
    }
    uint64_t before = device_hash(&d);
    char target[300];
    snprintf(target, sizeof(target), "%s/d", path);
    assert_int_equal(lfs_rename(lfs, "d", target), LFS_ERR_INVAL);
    assert_int_equal(lfs_rename(lfs, "d/d/d", target), LFS_ERR_INVAL);
    assert_true(device_hash(&d) == before);
    // moving the deepest one up to the root is fine
    assert_int_equal(lfs_rename(lfs, path, "top"), 0);
    expect_type(lfs, "top", LFS_TYPE_DIR);
    assert_int_equal(lfs_unmount(lfs), 0);
    wdev_free(&d);
}

/* ---- name order ---------------------------------------------------------- */

static const char *const order_names[] = {
    "file2", "file10", "a", "file1", "file11", "file", "b", "ab", "aa",
    "file1x", "z", "file100", "A", "file",
};

/* The directory listing of "/" through our core, "." and ".." left out. */
static int list_root(lfs_t *lfs, char names[][LFS_NAME_MAX + 1], int max) {
    lfs_dir_t dir;
    struct lfs_info info;
    int n = 0;
    assert_int_equal(lfs_dir_open(lfs, &dir, "/"), 0);
    int res;
    while ((res = lfs_dir_read(lfs, &dir, &info)) > 0) {
        if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0) {
            continue;
        }
        assert_true(n < max);
        strcpy(names[n++], info.name);
    }
    assert_int_equal(res, 0);
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
    return n;
}

/* The root's children in the order lfsdump --tree prints them. */
static int decoder_root(const char *image, uint32_t block_size,
        char names[][LFS_NAME_MAX + 1], int max) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
            "/usr/bin/python3 scripts/lfsdump.py -b %u --tree %s",
            (unsigned)block_size, image);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), p)) {
        // children of the root are indented by exactly two spaces
        if (strncmp(line, "  ", 2) != 0 || line[2] == ' ') {
            continue;
        }
        char *end = strstr(line + 2, "  ");
        assert_non_null(end);
        if (end[-1] == '/') {
            end--;
        }
        *end = '\0';
        assert_true(n < max);
        assert_true(strlen(line + 2) <= LFS_NAME_MAX);
        strcpy(names[n++], line + 2);
    }
    assert_int_equal(pclose(p), 0);
    return n;
}

static void check_order(char names[][LFS_NAME_MAX + 1], int n) {
    // memcmp over the shorter length; on a common prefix the longer first
    for (int i = 1; i < n; i++) {
        size_t la = strlen(names[i - 1]), lb = strlen(names[i]);
        int c = memcmp(names[i - 1], names[i], la < lb ? la : lb);
        assert_true(c < 0 || (c == 0 && la > lb));
    }
}

static void run_order(uint32_t seed, uint32_t block_size, bool dirs) {
    struct wdev d;
    wdev_init(&d, 16, 16, block_size, 64, 64);
    lfs_t *lfs = &d.lfs;
    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);

    enum { N = sizeof(order_names) / sizeof(order_names[0]) };
    const char *names[N];
    memcpy(names, order_names, sizeof(names));
    uint32_t x = seed * 2654435761u + 1;
    for (int i = N - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        int j = (int)(x % (uint32_t)(i + 1));
        const char *t = names[i];
        names[i] = names[j];
        names[j] = t;
    }
    int created = 0;
    for (int i = 0; i < N; i++) {
        int err;
        if (dirs && i % 2) {
            err = lfs_mkdir(lfs, names[i]);
        } else {
            lfs_file_t f;
            err = lfs_file_open(lfs, &f, names[i],
                    LFS_O_WRONLY | LFS_O_CREAT | LFS_O_EXCL);
            if (!err) {
                assert_int_equal(lfs_file_close(lfs, &f), 0);
            }
        }
        // "file" appears twice in the list: the second is refused
        assert_true(err == 0 || err == LFS_ERR_EXIST);
        created += err == 0;
    }
    assert_int_equal(created, N - 1);

    char ours[N][LFS_NAME_MAX + 1];
    int n = list_root(lfs, ours, N);
    assert_int_equal(n, N - 1);
    check_order(ours, n);
    assert_int_equal(lfs_unmount(lfs), 0);

    char image[] = "/tmp/test_lfs_namespace_XXXXXX";
    int fd = mkstemp(image);
    assert_true(fd >= 0);
    assert_int_equal(bd_emu_save_image(d.bd, image), 0);
    char theirs[N][LFS_NAME_MAX + 1];
    int m = decoder_root(image, block_size, theirs, N);
    unlink(image);
    assert_int_equal(m, n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(ours[i], theirs[i]);
    }
    // the fixed spots the golden images show
    int i10 = -1, i11 = -1, i1 = -1, i2 = -1;
    for (int i = 0; i < n; i++) {
        i10 = strcmp(ours[i], "file10") == 0 ? i : i10;
        i11 = strcmp(ours[i], "file11") == 0 ? i : i11;
        i1 = strcmp(ours[i], "file1") == 0 ? i : i1;
        i2 = strcmp(ours[i], "file2") == 0 ? i : i2;
    }
    assert_true(i10 < i11 && i11 < i1 && i1 < i2);
    (void)close(fd);
    wdev_free(&d);
}

static void test_name_order(void **state) {
    (void)state;
    for (uint32_t seed = 1; seed <= 6; seed++) {
        run_order(seed, 512, seed % 2);
    }
    // small blocks: the directory splits over several pairs
    run_order(11, 128, false);
    run_order(12, 128, true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rename_into_self),
        cmocka_unit_test(test_rename_into_self_deep),
        cmocka_unit_test(test_name_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
