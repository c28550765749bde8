/*
 * test_lfs_write_tree.c - a seeded workload of tree operations checked
 * against an in-memory model, across remounts, on several geometries:
 * nested directories, a directory with enough files to split its pair,
 * inline and skip-list files, appends, overwrites in the middle,
 * truncates both ways, renames within and across directories (over files
 * and empty directories), removes, and attributes (root included).  With
 * BROWNOUT_IMAGE_OUT set, the final image and a manifest of what this core
 * reads from it are saved there for tests/py/test_core_images.py.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_lfs_write_util.h"
#include "test_lfs_bd.h"

#define MAXENT 160

struct ment {
    char path[64];
    bool isdir;
    uint8_t *data;
    size_t size;
    int attrlen;        /* -1: no attribute 0x41 */
    uint8_t attr[8];
};

struct model {
    struct ment e[MAXENT];
    int n;
};

static struct ment *mfind(struct model *m, const char *path) {
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->e[i].path, path) == 0) {
            return &m->e[i];
        }
    }
    return NULL;
}

static struct ment *madd(struct model *m, const char *path, bool isdir) {
    assert_true(m->n < MAXENT);
    struct ment *e = &m->e[m->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->isdir = isdir;
    e->attrlen = -1;
    return e;
}

static void mdel(struct model *m, struct ment *e) {
    free(e->data);
    *e = m->e[--m->n];
}

static void mfree(struct model *m) {
    while (m->n) {
        mdel(m, &m->e[0]);
    }
}

/* Everything the model holds is what the filesystem holds, and every
 * directory lists exactly its model children. */
static void mverify(lfs_t *lfs, struct model *m) {
    for (int i = 0; i < m->n; i++) {
        struct ment *e = &m->e[i];
        struct lfs_info info;
        assert_int_equal(lfs_stat(lfs, e->path, &info), 0);
        if (e->isdir) {
            assert_int_equal(info.type, LFS_TYPE_DIR);
            lfs_dir_t dir;
            assert_int_equal(lfs_dir_open(lfs, &dir, e->path), 0);
            int count = 0;
            while (true) {
                int res = lfs_dir_read(lfs, &dir, &info);
                assert_true(res >= 0);
                if (res == 0) {
                    break;
                }
                if (strcmp(info.name, ".") == 0
                        || strcmp(info.name, "..") == 0) {
                    continue;
                }
                char child[64 + LFS_NAME_MAX + 2];
                snprintf(child, sizeof(child), "%s/%s", e->path, info.name);
                if (!mfind(m, child)) {
                    fail_msg("unexpected entry %s", child);
                }
                count += 1;
            }
            assert_int_equal(lfs_dir_close(lfs, &dir), 0);
            int want = 0;
            size_t plen = strlen(e->path);
            for (int j = 0; j < m->n; j++) {
                const char *p = m->e[j].path;
                if (strncmp(p, e->path, plen) == 0 && p[plen] == '/'
                        && !strchr(p + plen + 1, '/')) {
                    want += 1;
                }
            }
            assert_int_equal(count, want);
        } else {
            assert_int_equal(info.type, LFS_TYPE_REG);
            wcheck(lfs, e->path, e->data, e->size);
        }
        uint8_t attr[8];
        lfs_ssize_t res = lfs_getattr(lfs, e->path, 0x41, attr, sizeof(attr));
        if (e->attrlen < 0) {
            assert_int_equal(res, LFS_ERR_NOATTR);
        } else {
            assert_int_equal(res, e->attrlen);
            assert_memory_equal(attr, e->attr, (size_t)e->attrlen);
        }
    }
}

static uint32_t rnd(uint32_t *s) {
    return test_prng(s);
}

/* Write size bytes at off (model and filesystem), extending with zeros. */
static void doputs(lfs_t *lfs, struct ment *e, size_t off, size_t size,
        uint32_t seed, int extra) {
    size_t nsize = off + size > e->size ? off + size : e->size;
    e->data = realloc(e->data, nsize ? nsize : 1);
    assert_non_null(e->data);
    if (off > e->size) {
        memset(e->data + e->size, 0, off - e->size);
    }
    wfill(e->data + off, size, seed);
    lfs_file_t f;
    assert_int_equal(lfs_file_open(lfs, &f, e->path,
            LFS_O_RDWR | LFS_O_CREAT | extra), 0);
    if (extra & LFS_O_TRUNC) {
        e->size = 0;
        nsize = off + size;
        memset(e->data, 0, off);
    }
    assert_int_equal(lfs_file_seek(lfs, &f, (lfs_soff_t)off, LFS_SEEK_SET),
            (int)off);
    assert_int_equal(lfs_file_write(lfs, &f, e->data + off, size), (int)size);
    // an open file sees its own writes
    assert_int_equal(lfs_file_size(lfs, &f), (int)nsize);
    assert_int_equal(lfs_file_close(lfs, &f), 0);
    e->size = nsize;
}

struct geo {
    uint32_t read, prog, block, count, cache;
    uint32_t disk_version;
    int32_t block_cycles;
};

static void run_workload(const struct geo *g, uint32_t seed, int steps,
        const char *savename) {
    struct wdev d;
    wdev_init(&d, g->read, g->prog, g->block, g->count, g->cache);
    d.cfg.disk_version = g->disk_version;
    d.cfg.block_cycles = g->block_cycles;
    lfs_t *lfs = &d.lfs;
    struct model m = {.n = 0};
    uint32_t s = seed;

    assert_int_equal(lfs_format(lfs, &d.cfg), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);

    // fixed skeleton: nested dirs, a crowded dir, root attribute
    const char *dirs[] = {"/d0", "/d0/d1", "/d0/d1/d2", "/crowd", "/e"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(lfs_mkdir(lfs, dirs[i]), 0);
        madd(&m, dirs[i], true);
    }
    assert_int_equal(lfs_setattr(lfs, "/", 0x41, "root", 4), 0);
    for (int i = 0; i < 40; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/crowd/file-with-a-longish-name-%03d", i);
        struct ment *e = madd(&m, path, false);
        doputs(lfs, e, 0, rnd(&s) % 40, rnd(&s), 0);
    }

    for (int step = 0; step < steps; step++) {
        uint32_t op = rnd(&s) % 10;
        // zeroed: gcc -O1 and up cannot see that the root is always a dir
        int files[MAXENT] = {0}, nf = 0, edirs[MAXENT] = {0}, nd = 0;
        for (int i = 0; i < m.n; i++) {
            if (!m.e[i].isdir) {
                files[nf++] = i;
            } else {
                edirs[nd++] = i;
            }
        }
        char path[64];
        const char *parent = m.e[edirs[rnd(&s) % nd]].path;
        // the model keeps paths of at most 50 bytes (below); "%.50s" tells gcc
        snprintf(path, sizeof(path), "%.50s/n%u", parent, rnd(&s) % 1000);
        if (strlen(path) > 50) {
            continue;
        }
        struct ment *f = nf ? &m.e[files[rnd(&s) % nf]] : NULL;

        if (op == 0 && !mfind(&m, path) && m.n < MAXENT - 2) {
            assert_int_equal(lfs_mkdir(lfs, path), 0);
            madd(&m, path, true);
        } else if (op <= 2 && !mfind(&m, path) && m.n < MAXENT - 2) {
            struct ment *e = madd(&m, path, false);
            size_t size = (rnd(&s) % 2) ? rnd(&s) % 60 : rnd(&s) % 3000;
            doputs(lfs, e, 0, size, rnd(&s), LFS_O_EXCL);
        } else if (op == 3 && f) {
            // append or overwrite somewhere
            size_t off = f->size ? rnd(&s) % (f->size + 1) : 0;
            doputs(lfs, f, off, rnd(&s) % 700, rnd(&s),
                    (rnd(&s) % 4 == 0) ? LFS_O_TRUNC : 0);
        } else if (op == 4 && f) {
            size_t size = (rnd(&s) % 2) ? rnd(&s) % 50 : rnd(&s) % 2500;
            lfs_file_t fh;
            assert_int_equal(lfs_file_open(lfs, &fh, f->path, LFS_O_WRONLY),
                    0);
            assert_int_equal(lfs_file_truncate(lfs, &fh, (lfs_off_t)size), 0);
            assert_int_equal(lfs_file_close(lfs, &fh), 0);
            f->data = realloc(f->data, size ? size : 1);
            if (size > f->size) {
                memset(f->data + f->size, 0, size - f->size);
            }
            f->size = size;
        } else if (op == 5 && f) {
            assert_int_equal(lfs_remove(lfs, f->path), 0);
            mdel(&m, f);
        } else if (op == 6 && f && !mfind(&m, path)) {
            assert_int_equal(lfs_rename(lfs, f->path, path), 0);
            snprintf(f->path, sizeof(f->path), "%s", path);
        } else if (op == 7 && nf >= 2) {
            struct ment *t = &m.e[files[rnd(&s) % nf]];
            if (t != f) {
                assert_int_equal(lfs_rename(lfs, f->path, t->path), 0);
                snprintf(f->path, sizeof(f->path), "%s", t->path);
                mdel(&m, t);
            }
        } else if (op == 8 && f) {
            if (rnd(&s) % 3 == 0) {
                assert_int_equal(lfs_removeattr(lfs, f->path, 0x41), 0);
                f->attrlen = -1;
            } else {
                f->attrlen = (int)(rnd(&s) % 9);
                wfill(f->attr, (size_t)f->attrlen, rnd(&s));
                assert_int_equal(lfs_setattr(lfs, f->path, 0x41, f->attr,
                        (lfs_size_t)f->attrlen), 0);
            }
        } else if (op == 9) {
            // remove or rename an empty directory (not the skeleton)
            for (int i = 5; i < m.n; i++) {
                struct ment *e = &m.e[i];
                if (!e->isdir) {
                    continue;
                }
                size_t plen = strlen(e->path);
                bool empty = true;
                for (int j = 0; j < m.n; j++) {
                    if (strncmp(m.e[j].path, e->path, plen) == 0
                            && m.e[j].path[plen] == '/') {
                        empty = false;
                    }
                }
                if (!empty) {
                    assert_int_equal(lfs_remove(lfs, e->path),
                            LFS_ERR_NOTEMPTY);
                    continue;
                }
                if (rnd(&s) % 2 && !mfind(&m, path)
                        && strncmp(path, e->path, plen) != 0) {
                    assert_int_equal(lfs_rename(lfs, e->path, path), 0);
                    snprintf(e->path, sizeof(e->path), "%s", path);
                } else {
                    assert_int_equal(lfs_remove(lfs, e->path), 0);
                    mdel(&m, e);
                }
                break;
            }
        }

        if (step % 25 == 24) {
            assert_int_equal(lfs_unmount(lfs), 0);
            assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
            mverify(lfs, &m);
        }
    }

    assert_int_equal(lfs_unmount(lfs), 0);
    assert_int_equal(lfs_mount(lfs, &d.cfg), 0);
    mverify(lfs, &m);
    uint8_t rattr[8];
    assert_int_equal(lfs_getattr(lfs, "/", 0x41, rattr, 8), 4);
    assert_memory_equal(rattr, "root", 4);
    assert_int_equal(lfs_unmount(lfs), 0);

    const char *out = getenv("BROWNOUT_IMAGE_OUT");
    if (out && savename) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s.img", out, savename);
        assert_int_equal(bd_emu_save_image(d.bd, path), 0);
        snprintf(path, sizeof(path), "%s/%s.ours.txt", out, savename);
        FILE *mf = fopen(path, "w");
        assert_non_null(mf);
        fprintf(mf, "/ dir attr41=726f6f74\n");
        for (int i = 0; i < m.n; i++) {
            struct ment *e = &m.e[i];
            fprintf(mf, "%s %s", e->path, e->isdir ? "dir" : "file");
            if (!e->isdir) {
                struct test_sha256 h;
                char hex[65];
                test_sha256_init(&h);
                test_sha256_update(&h, e->data, e->size);
                test_sha256_hex(&h, hex);
                fprintf(mf, " size=%zu sha256=%s", e->size, hex);
            }
            if (e->attrlen >= 0) {
                fprintf(mf, " attr41=");
                for (int j = 0; j < e->attrlen; j++) {
                    fprintf(mf, "%02x", e->attr[j]);
                }
            }
            fprintf(mf, "\n");
        }
        fclose(mf);
    }
    mfree(&m);
    wdev_free(&d);
}

static void test_tree_512(void **state) {
    (void)state;
    const struct geo g = {16, 16, 512, 256, 64, 0, -1};
    run_workload(&g, 1, 300, "core-512");
}

static void test_tree_nor4k(void **state) {
    (void)state;
    const struct geo g = {1, 1, 4096, 64, 256, 0, 100};
    run_workload(&g, 2, 200, "core-nor4k");
}

static void test_tree_v20(void **state) {
    (void)state;
    const struct geo g = {16, 16, 512, 256, 128, 0x00020000, -1};
    run_workload(&g, 3, 200, "core-v20");
}

static void test_tree_cycles(void **state) {
    (void)state;
    // frequent relocations, superblock expansion
    const struct geo g = {16, 16, 512, 256, 64, 0, 5};
    run_workload(&g, 4, 300, "core-cycles");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_512),
        cmocka_unit_test(test_tree_nor4k),
        cmocka_unit_test(test_tree_v20),
        cmocka_unit_test(test_tree_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
