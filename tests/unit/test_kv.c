/*
 * test_kv.c - the key-value view, call by call: keys and their limits,
 * every call's results and every error of the Mirage_kv table, the faults
 * chamelon shows (3+-block values, overwrites after a directory split,
 * nested sizes, partial reads and writes past the end, dictionary renames,
 * set on a dictionary), leftover temps, NOSPC, I/O errors. With
 * BROWNOUT_KV_IMAGE set, also saves a KV image there for tests/py.
 */
#include "test_kv_util.h"
#include "sha256.h"

#define BS 512
#define BC 256

static struct kvdev dev;

static int setup(void **state) {
    (void)state;
    kvdev_init(&dev, BS, BC, 1);
    kvdev_fresh(&dev);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kv_unmount(&dev.kv);
    kvdev_free(&dev);
    return 0;
}

static kv_t *K(void) {
    return &dev.kv;
}

/* ---- keys ---------------------------------------------------------------- */

static void test_keys(void **state) {
    (void)state;
    assert_int_equal(kv_kind(K(), ""), KV_DICTIONARY);
    assert_int_equal(kv_kind(K(), "/"), KV_DICTIONARY);
    assert_int_equal(kv_kind(K(), "//"), KV_DICTIONARY);
    assert_int_equal(kv_set(K(), "/a/b", "x", 1), 0);
    kv_expect(K(), "a/b", "x", 1);
    kv_expect(K(), "//a///b/", "x", 1);
    assert_int_equal(kv_kind(K(), "a"), KV_DICTIONARY);
    assert_int_equal(kv_kind(K(), "/a/b"), KV_VALUE);
    assert_int_equal(kv_kind(K(), "a/c"), KV_NONE);
    assert_int_equal(kv_kind(K(), "missing/deeper/still"), KV_NONE);
    assert_int_equal(kv_kind(K(), "a/b/under-a-value"), KV_NONE);
    enum kv_kind k;
    assert_int_equal(kv_exists(K(), NULL, &k), LFS_ERR_INVAL);
    assert_int_equal(kv_exists(K(), "a/./b", &k), LFS_ERR_INVAL);
    assert_int_equal(kv_exists(K(), "a/../b", &k), LFS_ERR_INVAL);
    assert_int_equal(kv_set(K(), "a/" KV_TEMP_NAME, "x", 1), LFS_ERR_INVAL);
    char name[300];
    memset(name, 'n', sizeof(name));
    name[256] = '\0';
    assert_int_equal(kv_exists(K(), name, &k), LFS_ERR_NAMETOOLONG);
    assert_int_equal(kv_set(K(), name, "x", 1), LFS_ERR_NAMETOOLONG);
    name[255] = '\0';   /* name_max is fine, but "a/" makes the key too long */
    char key[600];
    snprintf(key, sizeof(key), "a/%s", name);
    assert_int_equal(kv_set(K(), key, "x", 1), LFS_ERR_NAMETOOLONG);
    assert_int_equal(kv_set(K(), name, "y", 1), 0);
    kv_expect(K(), name, "y", 1);
    /* KV_DEPTH_MAX components fit, one more does not */
    char deep[200] = "";
    for (int i = 0; i < KV_DEPTH_MAX; i++) {
        strcat(deep, "/d");
    }
    assert_int_equal(kv_set(K(), deep, "z", 1), 0);
    kv_expect(K(), deep, "z", 1);
    strcat(deep, "/d");
    assert_int_equal(kv_set(K(), deep, "z", 1), LFS_ERR_NAMETOOLONG);
    uint64_t size;
    assert_int_equal(kv_size(K(), "d", &size), 0);
    assert_int_equal(size, 1);
}

/* ---- set / get -------------------------------------------------------------- */

static void test_set_get(void **state) {
    (void)state;
    uint8_t buf[64];
    lfs_size_t len = 99;
    assert_int_equal(kv_get(K(), "k", buf, sizeof(buf), &len), LFS_ERR_NOENT);
    assert_int_equal(kv_set(K(), "k", "hello", 5), 0);
    kv_expect(K(), "k", "hello", 5);
    /* too small: nothing read, the needed length reported */
    memset(buf, 0, sizeof(buf));
    assert_int_equal(kv_get(K(), "k", buf, 4, &len), LFS_ERR_FBIG);
    assert_int_equal(len, 5);
    assert_int_equal(buf[0], 0);
    assert_int_equal(kv_get(K(), "k", buf, 5, &len), 0);
    /* overwrite, shorter, longer, empty */
    assert_int_equal(kv_set(K(), "k", "hi", 2), 0);
    kv_expect(K(), "k", "hi", 2);
    assert_int_equal(kv_set(K(), "k", "a longer value", 14), 0);
    kv_expect(K(), "k", "a longer value", 14);
    assert_int_equal(kv_set(K(), "k", "", 0), 0);
    kv_expect(K(), "k", "", 0);
    /* dictionaries are never replaced; values are never crossed */
    assert_int_equal(kv_set(K(), "d/x", "1", 1), 0);
    assert_int_equal(kv_set(K(), "d", "2", 1), LFS_ERR_ISDIR);
    assert_int_equal(kv_set(K(), "/", "2", 1), LFS_ERR_ISDIR);
    assert_int_equal(kv_set(K(), "k/under", "3", 1), LFS_ERR_NOTDIR);
    assert_int_equal(kv_set(K(), "d/x/y/z", "3", 1), LFS_ERR_NOTDIR);
    assert_int_equal(kv_get(K(), "d", buf, sizeof(buf), &len), LFS_ERR_ISDIR);
    assert_int_equal(kv_get(K(), "/", buf, sizeof(buf), &len), LFS_ERR_ISDIR);
    assert_int_equal(kv_get(K(), "k/under", buf, sizeof(buf), &len), LFS_ERR_NOENT);
    assert_int_equal(kv_kind(K(), "d"), KV_DICTIONARY);
    kv_expect(K(), "d/x", "1", 1);
    /* durable across a remount */
    assert_int_equal(kv_unmount(K()), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
    kv_expect(K(), "d/x", "1", 1);
    kv_expect(K(), "k", "", 0);
}

/* chamelon: files of three or more blocks are unreadable by littlefs */
static void test_multi_block_values(void **state) {
    (void)state;
    static uint8_t big[5000], back[5000];
    for (size_t n = BS * 3; n <= sizeof(big); n += 997) {
        kv_fill(big, n, (uint32_t)n);
        assert_int_equal(kv_set(K(), "big/v", big, (lfs_size_t)n), 0);
        kv_expect(K(), "big/v", big, (lfs_size_t)n);
    }
    assert_int_equal(kv_unmount(K()), 0);
    /* littlefs itself reads it back, through its own file API */
    lfs_t lfs;
    assert_int_equal(lfs_mount(&lfs, &dev.cfg), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&lfs, &f, "big/v", LFS_O_RDONLY), 0);
    lfs_size_t n = (lfs_size_t)(BS * 3 + 997 * ((sizeof(big) - BS * 3) / 997));
    assert_int_equal(lfs_file_read(&lfs, &f, back, sizeof(back)), n);
    kv_fill(big, n, n);
    assert_memory_equal(back, big, n);
    assert_int_equal(lfs_file_close(&lfs, &f), 0);
    assert_int_equal(lfs_unmount(&lfs), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
}

static void test_get_partial(void **state) {
    (void)state;
    static uint8_t big[4000], buf[4000];
    kv_fill(big, sizeof(big), 7);
    assert_int_equal(kv_set(K(), "v", big, sizeof(big)), 0);
    lfs_size_t n = 123;
    assert_int_equal(kv_get_partial(K(), "v", 0, buf, 10, &n), 0);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, big, 10);
    assert_int_equal(kv_get_partial(K(), "v", 1500, buf, 1000, &n), 0);
    assert_int_equal(n, 1000);
    assert_memory_equal(buf, big + 1500, 1000);
    /* short at the end, 0 at and past it (chamelon: past the end of a
     * multi-block value) */
    assert_int_equal(kv_get_partial(K(), "v", 3990, buf, 100, &n), 0);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, big + 3990, 10);
    assert_int_equal(kv_get_partial(K(), "v", 4000, buf, 100, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(kv_get_partial(K(), "v", 100000, buf, 100, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(kv_get_partial(K(), "none", 0, buf, 1, &n), LFS_ERR_NOENT);
    assert_int_equal(kv_get_partial(K(), "/", 0, buf, 1, &n), LFS_ERR_ISDIR);
}

/* ---- set_partial / allocate ------------------------------------------------ */

static void test_set_partial(void **state) {
    (void)state;
    uint8_t buf[64];
    lfs_size_t n;
    /* on a missing key: created, zero-filled before the offset */
    assert_int_equal(kv_set_partial(K(), "p/new", 4, "ab", 2), 0);
    kv_expect(K(), "p/new", "\0\0\0\0ab", 6);
    /* inside: bytes beyond the write are kept */
    assert_int_equal(kv_set(K(), "p/v", "0123456789", 10), 0);
    assert_int_equal(kv_set_partial(K(), "p/v", 2, "xy", 2), 0);
    kv_expect(K(), "p/v", "01xy456789", 10);
    /* across the end: extends */
    assert_int_equal(kv_set_partial(K(), "p/v", 8, "ABCD", 4), 0);
    kv_expect(K(), "p/v", "01xy4567ABCD", 12);
    /* past the end: a zero gap */
    assert_int_equal(kv_set_partial(K(), "p/v", 14, "!", 1), 0);
    kv_expect(K(), "p/v", "01xy4567ABCD\0\0!", 15);
    assert_int_equal(kv_get_partial(K(), "p/v", 12, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(kv_set_partial(K(), "p", 0, "x", 1), LFS_ERR_ISDIR);
    assert_int_equal(kv_set_partial(K(), "p/v/w", 0, "x", 1), LFS_ERR_NOTDIR);
    /* past the end of a multi-block value */
    static uint8_t big[3000], want[3100];
    kv_fill(big, sizeof(big), 3);
    assert_int_equal(kv_set(K(), "p/big", big, sizeof(big)), 0);
    assert_int_equal(kv_set_partial(K(), "p/big", 3050, "tail", 4), 0);
    memset(want, 0, sizeof(want));
    memcpy(want, big, sizeof(big));
    memcpy(want + 3050, "tail", 4);
    kv_expect(K(), "p/big", want, 3054);
}

static void test_allocate(void **state) {
    (void)state;
    static uint8_t zero[2000];
    struct kv_time t = {12345, 678};
    assert_int_equal(kv_allocate(K(), "a/z", sizeof(zero), &t), 0);
    kv_expect(K(), "a/z", zero, sizeof(zero));
    struct kv_time got;
    assert_int_equal(kv_last_modified(K(), "a/z", &got), 0);
    assert_int_equal(got.days, 12345);
    assert_int_equal(got.ps, 678);
    assert_int_equal(kv_allocate(K(), "a/z", 1, NULL), LFS_ERR_EXIST);
    assert_int_equal(kv_allocate(K(), "a", 1, NULL), LFS_ERR_EXIST);
    assert_int_equal(kv_allocate(K(), "a/z/q", 1, NULL), LFS_ERR_NOTDIR);
    dev.clock.days = 20000;
    dev.clock.ps = 5;
    assert_int_equal(kv_allocate(K(), "a/e", 0, NULL), 0);
    kv_expect(K(), "a/e", "", 0);
    assert_int_equal(kv_last_modified(K(), "a/e", &got), 0);
    assert_int_equal(got.days, 20000);
    assert_int_equal(got.ps, 5);
}

/* ---- list ---------------------------------------------------------------------- */

struct listing {
    char keys[64][64];
    enum kv_kind kinds[64];
    int n;
    int stop_at;
};

static int collect(void *ctx, const char *key, enum kv_kind kind) {
    struct listing *l = ctx;
    if (l->n == l->stop_at) {
        return 42;
    }
    assert_true(l->n < 64);
    snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
    l->kinds[l->n] = kind;
    l->n++;
    return 0;
}

static void test_list(void **state) {
    (void)state;
    const char *order[] = {"d/m", "d/b", "d/z", "d/a/x", "d/c", "d/B", "d/aa"};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        assert_int_equal(kv_set(K(), order[i], "v", 1), 0);
    }
    struct listing l = {.stop_at = -1};
    assert_int_equal(kv_list(K(), "d", collect, &l), 0);
    const char *want[] = {"/d/B", "/d/a", "/d/aa", "/d/b", "/d/c", "/d/m", "/d/z"};
    assert_int_equal(l.n, 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(l.keys[i], want[i]);
        assert_int_equal(l.kinds[i], i == 1 ? KV_DICTIONARY : KV_VALUE);
    }
    /* the root, by "" and "/" */
    memset(&l, 0, sizeof(l));
    l.stop_at = -1;
    assert_int_equal(kv_list(K(), "/", collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.keys[0], "/d");
    /* a callback stops it */
    memset(&l, 0, sizeof(l));
    l.stop_at = 2;
    assert_int_equal(kv_list(K(), "d", collect, &l), 42);
    assert_int_equal(l.n, 2);
    assert_int_equal(kv_list(K(), "d/m", collect, &l), LFS_ERR_NOTDIR);
    assert_int_equal(kv_list(K(), "nope", collect, &l), LFS_ERR_NOENT);
    assert_int_equal(kv_list(K(), "d/m/x", collect, &l), LFS_ERR_NOENT);
    /* an empty dictionary lists nothing */
    assert_int_equal(kv_remove(K(), "d/a/x"), 0);
    memset(&l, 0, sizeof(l));
    l.stop_at = -1;
    assert_int_equal(kv_list(K(), "d/a", collect, &l), 0);
    assert_int_equal(l.n, 0);
}

/* chamelon: after a directory split, overwrites leak entries */
static void test_overwrite_after_split(void **state) {
    (void)state;
    char key[32], val[64];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "s/key%02d", i);
        snprintf(val, sizeof(val), "value number %d, padded to split", i);
        assert_int_equal(kv_set(K(), key, val, (lfs_size_t)strlen(val)), 0);
    }
    for (int r = 0; r < 100; r++) {
        snprintf(val, sizeof(val), "overwrite %d", r);
        assert_int_equal(kv_set(K(), "s/key17", val, (lfs_size_t)strlen(val)), 0);
    }
    struct listing l = {.stop_at = -1};
    assert_int_equal(kv_list(K(), "s", collect, &l), 0);
    assert_int_equal(l.n, 40);
    int seen = 0;
    for (int i = 0; i < l.n; i++) {
        seen += strcmp(l.keys[i], "/s/key17") == 0;
    }
    assert_int_equal(seen, 1);
    kv_expect(K(), "s/key17", "overwrite 99", 12);
    assert_int_equal(kv_unmount(K()), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
    memset(&l, 0, sizeof(l));
    l.stop_at = -1;
    assert_int_equal(kv_list(K(), "s", collect, &l), 0);
    assert_int_equal(l.n, 40);
}

/* ---- size / last_modified / digest ---------------------------------------------- */

static void test_size(void **state) {
    (void)state;
    uint64_t n = 7;
    assert_int_equal(kv_size(K(), "/", &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(kv_set(K(), "a/b/c", "12345", 5), 0);
    assert_int_equal(kv_set(K(), "a/b/d", "123", 3), 0);
    assert_int_equal(kv_set(K(), "a/e", "1", 1), 0);
    static uint8_t big[1500];
    assert_int_equal(kv_set(K(), "x", big, sizeof(big)), 0);
    assert_int_equal(kv_size(K(), "a/b/c", &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(kv_size(K(), "a/b", &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(kv_size(K(), "a", &n), 0);
    assert_int_equal(n, 9);
    assert_int_equal(kv_size(K(), "", &n), 0);
    assert_int_equal(n, 1509);
    assert_int_equal(kv_size(K(), "a/zz", &n), LFS_ERR_NOENT);
    assert_int_equal(kv_size(K(), "a/e/zz", &n), LFS_ERR_NOENT);
    assert_int_equal(kv_kind(K(), "a/b/c"), KV_VALUE);
    assert_int_equal(kv_kind(K(), "a/b"), KV_DICTIONARY);
    assert_int_equal(kv_kind(K(), "a/b/c/d"), KV_NONE);
}

static void test_last_modified(void **state) {
    (void)state;
    struct kv_time t;
    assert_int_equal(kv_last_modified(K(), "nope", &t), LFS_ERR_NOENT);
    assert_int_equal(kv_last_modified(K(), "/", &t), 0);
    assert_int_equal(t.days, 0);
    assert_int_equal(t.ps, 0);
    dev.clock = (struct kv_time){19500, 86399999999999ull};
    assert_int_equal(kv_set(K(), "d/early", "1", 1), 0);
    dev.clock = (struct kv_time){19501, 3};
    assert_int_equal(kv_set(K(), "d/sub/late", "2", 1), 0);
    dev.clock = (struct kv_time){19501, 2};
    assert_int_equal(kv_set(K(), "d/mid", "3", 1), 0);
    assert_int_equal(kv_last_modified(K(), "d/early", &t), 0);
    assert_int_equal(t.days, 19500);
    assert_true(t.ps == 86399999999999ull);
    assert_int_equal(kv_last_modified(K(), "d", &t), 0);
    assert_int_equal(t.days, 19501);
    assert_int_equal(t.ps, 3);
    /* the stamp moves with each write, set_partial included */
    dev.clock = (struct kv_time){19600, 9};
    assert_int_equal(kv_set_partial(K(), "d/early", 0, "x", 1), 0);
    assert_int_equal(kv_last_modified(K(), "d", &t), 0);
    assert_int_equal(t.days, 19600);
    /* the raw attribute, as chamelon stores it */
    uint8_t raw[16];
    assert_int_equal(lfs_getattr(&K()->lfs, "d/early", KV_ATTR_TIME, raw, sizeof(raw)), 12);
    const uint8_t want[12] = {0x90, 0x4c, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(raw, want, 12);
    /* a failing clock fails the write, which changes nothing */
    dev.clock_err = LFS_ERR_IO;
    assert_int_equal(kv_set(K(), "d/early", "y", 1), LFS_ERR_IO);
    assert_int_equal(kv_set(K(), "d/other", "y", 1), LFS_ERR_IO);
    dev.clock_err = 0;
    kv_expect(K(), "d/early", "x", 1);
    assert_int_equal(kv_kind(K(), "d/other"), KV_NONE);
    /* an empty dictionary has no time */
    assert_int_equal(kv_remove(K(), "d/sub/late"), 0);
    assert_int_equal(kv_last_modified(K(), "d/sub", &t), 0);
    assert_int_equal(t.days, 0);
}

static void hex_of(const uint8_t d[32], char out[65]) {
    for (int i = 0; i < 32; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void digest_of(const char *key, uint8_t out[32]) {
    assert_int_equal(kv_digest(K(), key, out), 0);
}

static void test_digest(void **state) {
    (void)state;
    uint8_t d[32], e[32];
    char hex[65];
    assert_int_equal(kv_digest(K(), "v", d), LFS_ERR_NOENT);
    assert_int_equal(kv_set(K(), "v", "abc", 3), 0);
    digest_of("v", d);
    hex_of(d, hex);
    assert_string_equal(hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* a dictionary: the documented encoding, computed here independently */
    assert_int_equal(kv_set(K(), "t/a", "bc", 2), 0);
    assert_int_equal(kv_set(K(), "t/s/x", "", 0), 0);
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, "kvd1", 4);
    sha256_update(&h, "v\x01\x00" "a" "\x02\0\0\0\0\0\0\0" "bc", 14);
    sha256_update(&h, "d\x01\x00" "s", 4);
    sha256_update(&h, "v\x01\x00" "x" "\0\0\0\0\0\0\0\0", 12);
    sha256_update(&h, "e", 1);
    sha256_final(&h, e);
    digest_of("t", d);
    assert_memory_equal(d, e, 32);
    /* names count, not only values: {ab: c} differs from {a: bc} */
    assert_int_equal(kv_set(K(), "u/ab", "c", 1), 0);
    assert_int_equal(kv_set(K(), "w/a", "bc", 2), 0);
    digest_of("u", d);
    digest_of("w", e);
    assert_memory_not_equal(d, e, 32);
    /* structure counts: {s: {x: ""}} differs from {s/x} spelled as a value */
    assert_int_equal(kv_set(K(), "y/s", "", 0), 0);
    assert_int_equal(kv_set(K(), "z/s/x", "", 0), 0);
    digest_of("y", d);
    digest_of("z", e);
    assert_memory_not_equal(d, e, 32);
    /* equal trees, equal digests; one byte changes it */
    assert_int_equal(kv_set(K(), "w2/a", "bc", 2), 0);
    digest_of("w", d);
    digest_of("w2", e);
    assert_memory_equal(d, e, 32);
    assert_int_equal(kv_set(K(), "w2/a", "bd", 2), 0);
    digest_of("w2", e);
    assert_memory_not_equal(d, e, 32);
    /* the empty dictionary */
    assert_int_equal(kv_remove(K(), "z/s/x"), 0);
    sha256_init(&h);
    sha256_update(&h, "kvd1", 4);
    sha256_update(&h, "d\x01\x00" "s" "e", 5);
    sha256_final(&h, e);
    digest_of("z", d);
    assert_memory_equal(d, e, 32);
}

/* ---- remove / rename ------------------------------------------------------------ */

static void test_remove(void **state) {
    (void)state;
    assert_int_equal(kv_remove(K(), "nope"), LFS_ERR_NOENT);
    assert_int_equal(kv_set(K(), "v", "1", 1), 0);
    assert_int_equal(kv_remove(K(), "v/under"), LFS_ERR_NOENT);
    assert_int_equal(kv_remove(K(), "v"), 0);
    assert_int_equal(kv_kind(K(), "v"), KV_NONE);
    char key[32];
    for (int i = 0; i < 30; i++) {
        snprintf(key, sizeof(key), "d/%c/%d/v%d", 'a' + i % 3, i % 5, i);
        assert_int_equal(kv_set(K(), key, key, (lfs_size_t)strlen(key)), 0);
    }
    assert_int_equal(kv_set(K(), "keep", "k", 1), 0);
    assert_int_equal(kv_remove(K(), "d/b"), 0);
    assert_int_equal(kv_kind(K(), "d/b"), KV_NONE);
    assert_int_equal(kv_kind(K(), "d/a/0/v0"), KV_VALUE);
    assert_int_equal(kv_remove(K(), "d"), 0);
    assert_int_equal(kv_kind(K(), "d"), KV_NONE);
    kv_expect(K(), "keep", "k", 1);
    /* the root: everything goes, the root stays */
    assert_int_equal(kv_set(K(), "x/y/z", "1", 1), 0);
    assert_int_equal(kv_remove(K(), "/"), 0);
    assert_int_equal(kv_kind(K(), "/"), KV_DICTIONARY);
    assert_int_equal(kv_kind(K(), "keep"), KV_NONE);
    assert_int_equal(kv_kind(K(), "x"), KV_NONE);
    uint64_t n;
    assert_int_equal(kv_size(K(), "/", &n), 0);
    assert_int_equal(n, 0);
}

static void test_rename(void **state) {
    (void)state;
    assert_int_equal(kv_rename(K(), "nope", "x"), LFS_ERR_NOENT);
    /* value to missing (parents created) and to value (replaced) */
    assert_int_equal(kv_set(K(), "a", "A", 1), 0);
    assert_int_equal(kv_rename(K(), "a", "p/q/b"), 0);
    assert_int_equal(kv_kind(K(), "a"), KV_NONE);
    kv_expect(K(), "p/q/b", "A", 1);
    assert_int_equal(kv_set(K(), "c", "C", 1), 0);
    assert_int_equal(kv_rename(K(), "c", "p/q/b"), 0);
    kv_expect(K(), "p/q/b", "C", 1);
    assert_int_equal(kv_kind(K(), "c"), KV_NONE);
    /* onto a dictionary: inside it */
    assert_int_equal(kv_set(K(), "e", "E", 1), 0);
    assert_int_equal(kv_rename(K(), "e", "p"), 0);
    kv_expect(K(), "p/e", "E", 1);
    assert_int_equal(kv_rename(K(), "p/e", "/"), 0);
    kv_expect(K(), "e", "E", 1);
    /* a value inside a dictionary replaces a value of that name there */
    assert_int_equal(kv_set(K(), "b", "B", 1), 0);
    assert_int_equal(kv_rename(K(), "b", "p/q"), 0);
    kv_expect(K(), "p/q/b", "B", 1);
    /* a dictionary moves whole, also inside another */
    assert_int_equal(kv_rename(K(), "p/q", "r"), 0);
    kv_expect(K(), "r/b", "B", 1);
    assert_int_equal(kv_kind(K(), "p/q"), KV_NONE);
    assert_int_equal(kv_rename(K(), "r", "p"), 0);
    kv_expect(K(), "p/r/b", "B", 1);
    /* the errors */
    assert_int_equal(kv_rename(K(), "p", "e"), LFS_ERR_ISDIR);
    assert_int_equal(kv_rename(K(), "p", "p/r/deeper"), LFS_ERR_INVAL);
    assert_int_equal(kv_rename(K(), "p", "p/new"), LFS_ERR_INVAL);
    assert_int_equal(kv_rename(K(), "/", "z"), LFS_ERR_INVAL);
    assert_int_equal(kv_rename(K(), "e", "e/x"), LFS_ERR_INVAL);
    assert_int_equal(kv_rename(K(), "p/r", "e/x"), LFS_ERR_NOTDIR);
    assert_int_equal(kv_set(K(), "t/r", "T", 1), 0);
    assert_int_equal(kv_set(K(), "u/r/in", "U", 1), 0);
    assert_int_equal(kv_rename(K(), "t/r", "u"), LFS_ERR_ISDIR);
    assert_int_equal(kv_rename(K(), "p/r", "u"), LFS_ERR_EXIST);
    kv_expect(K(), "u/r/in", "U", 1);
    kv_expect(K(), "t/r", "T", 1);
    /* onto itself, or its own parent: nothing to do */
    assert_int_equal(kv_rename(K(), "e", "/e/"), 0);
    assert_int_equal(kv_rename(K(), "p/r", "p"), 0);
    kv_expect(K(), "p/r/b", "B", 1);
    kv_expect(K(), "e", "E", 1);
}

/* ---- temps, space, I/O ------------------------------------------------------------ */

static void test_leftover_temp(void **state) {
    (void)state;
    /* what a cut inside the creation of d/new leaves: a temp file */
    assert_int_equal(kv_set(K(), "d/old", "o", 1), 0);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(&K()->lfs, &f, "d/" KV_TEMP_NAME,
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_write(&K()->lfs, &f, "partial", 7), 7);
    assert_int_equal(lfs_file_close(&K()->lfs, &f), 0);
    assert_int_equal(lfs_file_open(&K()->lfs, &f, KV_TEMP_NAME,
            LFS_O_WRONLY | LFS_O_CREAT), 0);
    assert_int_equal(lfs_file_close(&K()->lfs, &f), 0);
    /* invisible */
    struct listing l = {.stop_at = -1};
    assert_int_equal(kv_list(K(), "d", collect, &l), 0);
    assert_int_equal(l.n, 1);
    uint64_t n;
    assert_int_equal(kv_size(K(), "d", &n), 0);
    assert_int_equal(n, 1);
    uint8_t with[32], without[32];
    digest_of("d", with);
    /* mount removes the root's; the next write into d removes d's */
    assert_int_equal(kv_unmount(K()), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&K()->lfs, KV_TEMP_NAME, &info), LFS_ERR_NOENT);
    assert_int_equal(lfs_stat(&K()->lfs, "d/" KV_TEMP_NAME, &info), 0);
    assert_int_equal(kv_set(K(), "d/old", "p", 1), 0);
    assert_int_equal(lfs_stat(&K()->lfs, "d/" KV_TEMP_NAME, &info), LFS_ERR_NOENT);
    assert_int_equal(kv_set(K(), "d/old", "o", 1), 0);
    digest_of("d", without);
    assert_memory_equal(with, without, 32);
    /* and a new key leaves none behind */
    assert_int_equal(kv_set(K(), "d/new", "n", 1), 0);
    assert_int_equal(lfs_stat(&K()->lfs, "d/" KV_TEMP_NAME, &info), LFS_ERR_NOENT);
}

static void test_nospc(void **state) {
    (void)state;
    static uint8_t big[BS * 40];
    kv_fill(big, sizeof(big), 9);
    assert_int_equal(kv_set(K(), "keep", "old", 3), 0);
    char key[16];
    int i, err = 0;
    for (i = 0; i < 100 && !err; i++) {
        snprintf(key, sizeof(key), "fill%d", i);
        err = kv_set(K(), key, big, sizeof(big));
    }
    assert_int_equal(err, LFS_ERR_NOSPC);
    /* the failed key is absent, not partial; an overwrite that does not fit
     * leaves the old value */
    assert_int_equal(kv_kind(K(), key), KV_NONE);
    assert_int_equal(kv_set(K(), "keep", big, sizeof(big)), LFS_ERR_NOSPC);
    kv_expect(K(), "keep", "old", 3);
    assert_int_equal(kv_unmount(K()), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
    kv_expect(K(), "keep", "old", 3);
    assert_int_equal(kv_kind(K(), key), KV_NONE);
    /* space comes back */
    assert_int_equal(kv_remove(K(), "fill0"), 0);
    assert_int_equal(kv_set(K(), "keep", big, BS * 10), 0);
    kv_expect(K(), "keep", big, BS * 10);
}

static void test_io_errors_kept(void **state) {
    (void)state;
    assert_int_equal(kv_set(K(), "a/b", "1", 1), 0);
    assert_int_equal(kv_unmount(K()), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
    /* power goes (no callback: every access then fails with LFS_ERR_IO) */
    assert_int_equal(bd_emu_arm_powerloss(dev.bd, 1, BD_EMU_FAULT_ATOMIC, NULL, NULL), 0);
    assert_int_equal(kv_set(K(), "c", "x", 1), LFS_ERR_IO);
    enum kv_kind k;
    assert_int_equal(kv_exists(K(), "a/b/c/d", &k), LFS_ERR_IO);
    uint8_t buf[4];
    lfs_size_t n;
    assert_int_equal(kv_get(K(), "zz/missing", buf, sizeof(buf), &n), LFS_ERR_IO);
    bd_emu_power_on(dev.bd);
    assert_int_equal(kv_unmount(K()), 0);
    /* corruption: both blocks of the superblock pair garbled */
    assert_int_equal(bd_emu_flip_random(dev.bd, 0, 64), 0);
    assert_int_equal(bd_emu_flip_random(dev.bd, 1, 64), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), LFS_ERR_CORRUPT);
    assert_int_equal(kv_format(K(), &dev.kcfg), 0);
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
}

/* kv_list and kv_digest read out-of-order directories by selection; the
 * result must be the same as the ordered read */
static void test_unordered_dirs(void **state) {
    (void)state;
    const char *keys[] = {"q/m", "q/c/x", "q/c/a", "q/z", "q/b", "q/a"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(kv_set(K(), keys[i], keys[i], 3), 0);
    }
    uint8_t d1[32], d2[32];
    struct listing l1 = {.stop_at = -1}, l2 = {.stop_at = -1};
    digest_of("q", d1);
    assert_int_equal(kv_list(K(), "q", collect, &l1), 0);
    dev.kcfg.unordered_dirs = 1;
    digest_of("q", d2);
    assert_int_equal(kv_list(K(), "q", collect, &l2), 0);
    dev.kcfg.unordered_dirs = 0;
    assert_memory_equal(d1, d2, 32);
    assert_int_equal(l1.n, 5);
    assert_memory_equal(&l1, &l2, sizeof(l1));
}

/* A small tree with known timestamps, saved where BROWNOUT_KV_IMAGE says,
 * for tests/py/test_kv_lfstool.py to read with lfstool. */
static void test_save_image(void **state) {
    (void)state;
    const char *path = getenv("BROWNOUT_KV_IMAGE");
    static uint8_t big[BS * 4];
    kv_fill(big, sizeof(big), 11);
    dev.clock = (struct kv_time){19723, 45296789000000ull};
    assert_int_equal(kv_set(K(), "config/name", "brownout", 8), 0);
    dev.clock = (struct kv_time){19724, 1};
    assert_int_equal(kv_set(K(), "config/net/ip", "10.0.0.2", 8), 0);
    dev.clock = (struct kv_time){0, 0};
    assert_int_equal(kv_set(K(), "blob", big, sizeof(big)), 0);
    assert_int_equal(kv_unmount(K()), 0);
    if (path) {
        assert_int_equal(bd_emu_save_image(dev.bd, path), 0);
    }
    assert_int_equal(kv_mount(K(), &dev.kcfg), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_block_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_after_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_modified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_errors_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unordered_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_image, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
