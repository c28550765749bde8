/*
 * test_lfs_images.c - the core reads the golden images littlefs wrote
 * exactly as littlefs reads them: every manifest entry is found with its
 * type, size, content (SHA-256) and custom attributes, directory listings
 * hold exactly the manifest's entries ("." and ".." first), tell/seek
 * positions round-trip, and file seeks read the right bytes.  Each image
 * is read under several read/cache geometries, and with block_count 0.
 */
#include "test_lfs_bd.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

struct geometry {
    lfs_size_t read_size;   /* 0: the manifest's */
    lfs_size_t cache_size;  /* 0: the block size */
    bool zero_block_count;
};

struct fixture {
    struct test_manifest manifest;
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
};

static struct fixture *fixture_open(const char *image,
        const struct geometry *g) {
    struct fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    char name[128];
    snprintf(name, sizeof(name), "%s.manifest.json", image);
    assert_true(test_load_manifest(name, &fx->manifest));
    snprintf(name, sizeof(name), "%s.img", image);
    size_t size;
    fx->bd.data = test_readfile(name, &size);
    assert_non_null(fx->bd.data);
    fx->bd.block_size = fx->manifest.block_size;
    fx->bd.block_count = fx->manifest.block_count;
    assert_int_equal(size, (size_t)fx->bd.block_size * fx->bd.block_count);

    lfs_size_t read_size = g->read_size ? g->read_size
            : fx->manifest.read_size;
    lfs_size_t cache_size = g->cache_size ? g->cache_size
            : fx->manifest.block_size;
    testbd_config(&fx->cfg, &fx->bd, read_size,
            fx->manifest.prog_size > read_size ? fx->manifest.prog_size
                : read_size,
            cache_size);
    if (g->zero_block_count) {
        fx->cfg.block_count = 0;
    }
    assert_int_equal(lfs_mount(&fx->lfs, &fx->cfg), 0);
    return fx;
}

static void fixture_close(struct fixture *fx) {
    assert_int_equal(lfs_unmount(&fx->lfs), 0);
    assert_int_equal(fx->bd.bad_requests, 0);
    free(fx->bd.data);
    free(fx);
}

static const char *basename_of(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash[1] ? slash + 1 : "/";
}

/* Is entry `child` directly inside directory `dir`? */
static bool is_child(const char *dir, const char *child) {
    size_t n = strlen(dir);
    if (strcmp(child, "/") == 0) {
        return false;
    }
    if (strcmp(dir, "/") == 0) {
        return strchr(child + 1, '/') == NULL;
    }
    return strncmp(child, dir, n) == 0 && child[n] == '/'
            && strchr(child + n + 1, '/') == NULL;
}

static bool name_before(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    int res = memcmp(a, b, la < lb ? la : lb);
    return res ? res < 0 : la > lb;
}

static uint8_t *read_whole(lfs_t *lfs, const char *path, lfs_size_t size,
        uint32_t *seed) {
    lfs_file_t file;
    assert_int_equal(lfs_file_open(lfs, &file, path, LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_size(lfs, &file), (lfs_soff_t)size);
    uint8_t *data = malloc(size + 1);
    assert_non_null(data);
    lfs_size_t got = 0;
    while (true) {
        lfs_size_t chunk = 1 + test_prng(seed) % 700;
        lfs_ssize_t n = lfs_file_read(lfs, &file, data + got,
                lfs_min(chunk, size + 1 - got));
        assert_true(n >= 0);
        if (n == 0) {
            break;
        }
        got += (lfs_size_t)n;
        assert_int_equal(lfs_file_tell(lfs, &file), (lfs_soff_t)got);
    }
    assert_int_equal(got, size);
    assert_int_equal(lfs_file_close(lfs, &file), 0);
    return data;
}

static void check_file_seeks(lfs_t *lfs, const char *path,
        const uint8_t *content, lfs_size_t size, uint32_t *seed) {
    lfs_file_t file;
    assert_int_equal(lfs_file_open(lfs, &file, path, LFS_O_RDONLY), 0);
    uint8_t buf[600];
    for (int i = 0; i < 24; i++) {
        lfs_soff_t pos = size ? (lfs_soff_t)(test_prng(seed) % (size + 1)) : 0;
        int how = (int)(test_prng(seed) % 3);
        lfs_soff_t res;
        if (how == 0) {
            res = lfs_file_seek(lfs, &file, pos, LFS_SEEK_SET);
        } else if (how == 1) {
            lfs_soff_t cur = lfs_file_tell(lfs, &file);
            res = lfs_file_seek(lfs, &file, pos - cur, LFS_SEEK_CUR);
        } else {
            res = lfs_file_seek(lfs, &file, pos - (lfs_soff_t)size,
                    LFS_SEEK_END);
        }
        assert_int_equal(res, pos);
        lfs_size_t want = 1 + test_prng(seed) % sizeof(buf);
        lfs_ssize_t n = lfs_file_read(lfs, &file, buf, want);
        lfs_size_t expect = lfs_min(want, size - (lfs_size_t)pos);
        assert_int_equal(n, (lfs_ssize_t)expect);
        assert_memory_equal(buf, content + pos, expect);
    }
    assert_int_equal(lfs_file_rewind(lfs, &file), 0);
    assert_int_equal(lfs_file_tell(lfs, &file), 0);
    if (size > 0) {
        assert_int_equal(lfs_file_read(lfs, &file, buf, 1), 1);
        assert_int_equal(buf[0], content[0]);
        assert_int_equal(lfs_file_seek(lfs, &file, -1, LFS_SEEK_END),
                (lfs_soff_t)size - 1);
        assert_int_equal(lfs_file_read(lfs, &file, buf, 4), 1);
        assert_int_equal(buf[0], content[size - 1]);
    }
    assert_int_equal(lfs_file_read(lfs, &file, buf, 4), 0);
    assert_int_equal(lfs_file_seek(lfs, &file, -1, LFS_SEEK_SET),
            LFS_ERR_INVAL);
    assert_int_equal(lfs_file_close(lfs, &file), 0);
}

static void check_entry(struct fixture *fx, const struct test_entry *e,
        bool all_attr_types, uint32_t *seed) {
    lfs_t *lfs = &fx->lfs;
    struct lfs_info info;
    assert_int_equal(lfs_stat(lfs, e->path, &info), 0);
    assert_string_equal(info.name, basename_of(e->path));
    assert_int_equal(info.type, e->isdir ? LFS_TYPE_DIR : LFS_TYPE_REG);
    if (!e->isdir) {
        assert_int_equal(info.size, e->size);
    }

    // custom attributes, and (optionally) no others
    uint8_t buf[1024];
    for (size_t i = 0; i < e->attr_count; i++) {
        lfs_ssize_t n = lfs_getattr(lfs, e->path, e->attrs[i].type,
                buf, sizeof(buf));
        assert_int_equal(n, (lfs_ssize_t)e->attrs[i].size);
        assert_memory_equal(buf, e->attrs[i].data, e->attrs[i].size);
    }
    if (all_attr_types) {
        for (int type = 0; type < 256; type++) {
            bool listed = false;
            for (size_t i = 0; i < e->attr_count; i++) {
                listed |= e->attrs[i].type == type;
            }
            if (!listed) {
                assert_int_equal(lfs_getattr(lfs, e->path, (uint8_t)type,
                        buf, sizeof(buf)), LFS_ERR_NOATTR);
            }
        }
    }

    if (e->isdir) {
        lfs_file_t file;
        assert_int_equal(lfs_file_open(lfs, &file, e->path, LFS_O_RDONLY),
                LFS_ERR_ISDIR);
        return;
    }

    uint8_t *content = read_whole(lfs, e->path, e->size, seed);
    struct test_sha256 sha;
    char hex[65];
    test_sha256_init(&sha);
    test_sha256_update(&sha, content, e->size);
    test_sha256_hex(&sha, hex);
    assert_string_equal(hex, e->sha256);
    check_file_seeks(lfs, e->path, content, e->size, seed);
    free(content);

    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(lfs, &dir, e->path), LFS_ERR_NOTDIR);
}

static void check_listing(struct fixture *fx, const struct test_entry *d) {
    lfs_t *lfs = &fx->lfs;
    const struct test_manifest *m = &fx->manifest;
    lfs_dir_t dir;
    assert_int_equal(lfs_dir_open(lfs, &dir, d->path), 0);

    struct lfs_info info;
    size_t n = 0;
    enum { MAXPOS = 512 };
    static lfs_soff_t pos[MAXPOS];
    static char names[MAXPOS][LFS_NAME_MAX + 1];
    while (true) {
        lfs_soff_t tell = lfs_dir_tell(lfs, &dir);
        assert_true(tell >= 0);
        int res = lfs_dir_read(lfs, &dir, &info);
        assert_true(res >= 0);
        if (res == 0) {
            break;
        }
        assert_true(n < MAXPOS);
        pos[n] = tell;
        strcpy(names[n], info.name);
        if (n == 0) {
            assert_string_equal(info.name, ".");
            assert_int_equal(info.type, LFS_TYPE_DIR);
        } else if (n == 1) {
            assert_string_equal(info.name, "..");
            assert_int_equal(info.type, LFS_TYPE_DIR);
        } else {
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s",
                    strcmp(d->path, "/") ? d->path : "", info.name);
            bool found = false;
            for (size_t i = 0; i < m->count; i++) {
                if (strcmp(m->entries[i].path, path) == 0) {
                    found = true;
                    assert_int_equal(info.type, m->entries[i].isdir
                            ? LFS_TYPE_DIR : LFS_TYPE_REG);
                    if (!m->entries[i].isdir) {
                        assert_int_equal(info.size, m->entries[i].size);
                    }
                }
            }
            if (!found) {
                fail_msg("listed %s, not in the manifest", path);
            }
            // sorted as littlefs keeps them: bytewise, and on a common
            // prefix the longer name first
            if (n > 2) {
                assert_true(name_before(names[n-1], names[n]));
            }
        }
        n += 1;
    }
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 0);

    size_t children = 0;
    for (size_t i = 0; i < m->count; i++) {
        children += is_child(d->path, m->entries[i].path);
    }
    assert_int_equal(n, children + 2);

    // every position lfs_dir_tell gave leads back to the same entry
    for (size_t i = n; i-- > 0;) {
        assert_int_equal(lfs_dir_seek(lfs, &dir, (lfs_off_t)pos[i]), 0);
        assert_int_equal(lfs_dir_tell(lfs, &dir), pos[i]);
        assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
        assert_string_equal(info.name, names[i]);
    }
    assert_int_equal(lfs_dir_rewind(lfs, &dir), 0);
    assert_int_equal(lfs_dir_read(lfs, &dir, &info), 1);
    assert_string_equal(info.name, ".");
    assert_int_equal(lfs_dir_close(lfs, &dir), 0);
}

struct counter {
    lfs_size_t blocks;
    lfs_size_t limit;
    uint8_t *seen;
};

static int count_distinct(void *data, lfs_block_t block) {
    struct counter *c = data;
    assert_true(block < c->limit);
    c->blocks += 1;
    c->seen[block] = 1;
    return 0;
}

static void check_fs(struct fixture *fx) {
    lfs_t *lfs = &fx->lfs;
    const struct test_manifest *m = &fx->manifest;
    struct lfs_fsinfo fsinfo;
    assert_int_equal(lfs_fs_stat(lfs, &fsinfo), 0);
    assert_int_equal(fsinfo.disk_version, m->disk_version);
    assert_int_equal(fsinfo.block_size, m->block_size);
    assert_int_equal(fsinfo.block_count, m->block_count);
    assert_int_equal(fsinfo.name_max, LFS_NAME_MAX);
    assert_int_equal(fsinfo.file_max, LFS_FILE_MAX);
    assert_int_equal(fsinfo.attr_max, LFS_ATTR_MAX);

    // every file block and metadata block is counted
    lfs_ssize_t used = lfs_fs_size(lfs);
    assert_true(used > 0 && (lfs_size_t)used <= m->block_count);
    lfs_size_t data_blocks = 0;
    for (size_t i = 0; i < m->count; i++) {
        const struct test_entry *e = &m->entries[i];
        lfs_size_t b = m->block_size;
        if (!e->isdir && e->size > b / 4) {
            data_blocks += (e->size + b - 1) / b;
        }
    }
    assert_true((lfs_size_t)used >= data_blocks + 2);

    struct counter c = {0, m->block_count, calloc(m->block_count, 1)};
    assert_non_null(c.seen);
    assert_int_equal(lfs_fs_traverse(lfs, count_distinct, &c), 0);
    assert_true(c.blocks >= (lfs_size_t)used);
    lfs_size_t distinct = 0;
    for (lfs_size_t i = 0; i < m->block_count; i++) {
        distinct += c.seen[i];
    }
    assert_int_equal(distinct, (lfs_size_t)used);
    assert_true(c.seen[0] && c.seen[1]);
    free(c.seen);
}

static void check_image(const char *image, const struct geometry *g,
        bool all_attr_types) {
    struct fixture *fx = fixture_open(image, g);
    uint32_t seed = 0x1234567;
    assert_true(fx->manifest.count > 0);
    assert_string_equal(fx->manifest.entries[0].path, "/");
    for (size_t i = 0; i < fx->manifest.count; i++) {
        const struct test_entry *e = &fx->manifest.entries[i];
        check_entry(fx, e, all_attr_types, &seed);
        if (e->isdir) {
            check_listing(fx, e);
        }
    }
    check_fs(fx);
    fixture_close(fx);
}

static const struct geometry geometries[] = {
    {0, 0, false},      /* as written */
    {1, 16, false},     /* byte reads, small cache */
    {0, 0, true},       /* block count from disk */
};

static void run_image(const char *image, bool all_attr_types) {
    for (size_t i = 0; i < sizeof(geometries)/sizeof(geometries[0]); i++) {
        check_image(image, &geometries[i], all_attr_types && i == 0);
    }
}

static void test_basic_512(void **state) {
    (void)state;
    run_image("basic-512", true);
    struct geometry whole = {512, 512, false};
    check_image("basic-512", &whole, false);
}

static void test_basic_nor4k(void **state) {
    (void)state;
    run_image("basic-nor4k", true);
    struct geometry big = {64, 4096, false};
    check_image("basic-nor4k", &big, false);
}

static void test_basic_v20(void **state) {
    (void)state;
    run_image("basic-v20", true);
}

static void test_churn_512(void **state) {
    (void)state;
    run_image("churn-512", true);
}

static void test_cutrename_512(void **state) {
    (void)state;
    run_image("cutrename-512", true);
}

static void test_many_512(void **state) {
    (void)state;
    run_image("many-512", false);
}

/* Mount refuses configurations the disk does not fit. */
static void test_mount_checks_config(void **state) {
    (void)state;
    struct geometry g = {0, 0, false};
    struct fixture *fx = fixture_open("basic-512", &g);
    assert_int_equal(lfs_unmount(&fx->lfs), 0);

    struct lfs_config cfg = fx->cfg;
    lfs_t lfs;
    cfg.block_count = fx->bd.block_count / 2;
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_INVAL);

    cfg = fx->cfg;
    cfg.name_max = 32;  /* the disk allows 255 */
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_INVAL);

    cfg = fx->cfg;
    cfg.attr_max = 100;
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_INVAL);

    cfg = fx->cfg;
    cfg.read_size = 3;  /* does not divide the cache */
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_INVAL);

    cfg = fx->cfg;
    cfg.cache_size = 0;
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_INVAL);

    // another block size: the superblock does not match (read as 1024-byte
    // blocks the image is 128 blocks)
    struct testbd bd2 = fx->bd;
    bd2.block_size = 1024;
    bd2.block_count = fx->bd.block_count / 2;
    testbd_config(&cfg, &bd2, 16, 16, 64);
    int err = lfs_mount(&lfs, &cfg);
    assert_true(err == LFS_ERR_INVAL || err == LFS_ERR_CORRUPT);

    // a blank device is not littlefs
    struct testbd blank = {.block_size = 512, .block_count = 16};
    blank.data = malloc(512*16);
    memset(blank.data, 0xff, 512*16);
    testbd_config(&cfg, &blank, 16, 16, 64);
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_CORRUPT);
    memset(blank.data, 0, 512*16);
    assert_int_equal(lfs_mount(&lfs, &cfg), LFS_ERR_CORRUPT);
    free(blank.data);

    // static buffers from the config are used
    cfg = fx->cfg;
    static uint8_t rbuf[512], pbuf[512];
    cfg.read_buffer = rbuf;
    cfg.prog_buffer = pbuf;
    memset(rbuf, 0, sizeof(rbuf));
    assert_int_equal(lfs_mount(&lfs, &cfg), 0);
    bool used = false;
    for (size_t i = 0; i < sizeof(rbuf); i++) {
        used |= rbuf[i] != 0;
    }
    assert_true(used);
    struct lfs_info info;
    assert_int_equal(lfs_stat(&lfs, "/docs/deep/ctz.bin", &info), 0);
    assert_int_equal(lfs_unmount(&lfs), 0);

    free(fx->bd.data);
    free(fx);
}

/* Write opens on a device without prog/erase: opening works while nothing
 * needs writing, creating fails cleanly; read-only files reject misuse. */
static void test_readonly_opens(void **state) {
    (void)state;
    struct geometry g = {0, 0, false};
    struct fixture *fx = fixture_open("basic-512", &g);
    lfs_t *lfs = &fx->lfs;
    lfs_file_t file;
    assert_int_equal(lfs_file_open(lfs, &file, "/zero2", LFS_O_WRONLY), 0);
    assert_int_equal(lfs_file_close(lfs, &file), 0);
    assert_int_equal(lfs_file_open(lfs, &file, "/new",
            LFS_O_RDONLY | LFS_O_CREAT), LFS_ERR_IO);
    assert_int_equal(lfs_file_open(lfs, &file, "/missing", LFS_O_RDONLY),
            LFS_ERR_NOENT);
    assert_int_equal(lfs_file_open(lfs, &file, "/", LFS_O_RDONLY),
            LFS_ERR_ISDIR);

    // attributes fetched at open, through the file config
    uint8_t attrbuf[8] = {0};
    struct lfs_attr attr = {0x74, attrbuf, sizeof(attrbuf)};
    uint8_t filebuf[512];
    struct lfs_file_config fcfg = {filebuf, &attr, 1};
    assert_int_equal(lfs_file_opencfg(lfs, &file,
            "/docs/deep/hello-moved.txt", LFS_O_RDONLY, &fcfg), 0);
    const uint8_t want[8] = {0xb9, 0x70, 0x54, 0x38, 0x16, 0x16, 0x86, 0xd5};
    assert_memory_equal(attrbuf, want, 8);
    char text[32];
    assert_int_equal(lfs_file_read(lfs, &file, text, sizeof(text)), 13);
    assert_int_equal(lfs_file_close(lfs, &file), 0);

    // a getattr buffer smaller than the attribute gets a prefix
    uint8_t small[3];
    assert_int_equal(lfs_getattr(lfs, "/docs/deep/hello-moved.txt", 0x74,
            small, sizeof(small)), 8);
    assert_memory_equal(small, want, 3);
    fixture_close(fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_512),
        cmocka_unit_test(test_basic_nor4k),
        cmocka_unit_test(test_basic_v20),
        cmocka_unit_test(test_churn_512),
        cmocka_unit_test(test_cutrename_512),
        cmocka_unit_test(test_many_512),
        cmocka_unit_test(test_mount_checks_config),
        cmocka_unit_test(test_readonly_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
