/*
 * test_kv_model.c - the key-value view against an in-memory model of the
 * key space: a seeded random workload (set, set_partial, allocate, remove,
 * rename, over a small tree of keys so the errors come up) checked after
 * every operation; then power cuts at every write of short workloads,
 * under several fault models, where each crashed disk must show the
 * bindings before or after the interrupted operation, exactly.
 */
#include "test_kv_util.h"

#define MAXE 64
#define KEYLEN 16
#define VALMAX 1400

struct entry {
    char key[KEYLEN];       /* normalized */
    int dict;
    lfs_size_t len;
    uint8_t val[VALMAX];
};

struct model {
    int n;
    struct entry e[MAXE];
};

static uint32_t rng_next(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static struct entry *m_find(struct model *m, const char *key) {
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->e[i].key, key) == 0) {
            return &m->e[i];
        }
    }
    return NULL;
}

static int is_under(const char *a, const char *b) {
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && b[n] == '/';
}

static void m_del(struct model *m, struct entry *e) {
    *e = m->e[--m->n];
}

static struct entry *m_add(struct model *m, const char *key, int dict) {
    assert_true(m->n < MAXE);
    struct entry *e = &m->e[m->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->key, KEYLEN, "%s", key);
    e->dict = dict;
    return e;
}

/* The model's kind of a key: 0 none, 1 value, 2 dictionary; *crosses set
 * when a proper prefix is a value. */
static int m_kind(struct model *m, const char *key, int *crosses) {
    char p[KEYLEN];
    *crosses = 0;
    for (size_t i = 0; key[i]; i++) {
        if (key[i] == '/') {
            memcpy(p, key, i);
            p[i] = '\0';
            struct entry *e = m_find(m, p);
            if (e && !e->dict) {
                *crosses = 1;
            }
        }
    }
    struct entry *e = m_find(m, key);
    return e ? (e->dict ? 2 : 1) : 0;
}

static void m_parents(struct model *m, const char *key) {
    char p[KEYLEN];
    for (size_t i = 0; key[i]; i++) {
        if (key[i] == '/') {
            memcpy(p, key, i);
            p[i] = '\0';
            if (!m_find(m, p)) {
                m_add(m, p, 1);
            }
        }
    }
}

/* ---- operations: model prediction ----------------------------------------- */

enum op_kind { OP_SET, OP_PARTIAL, OP_ALLOC, OP_REMOVE, OP_RENAME, OP_COUNT };

struct op {
    enum op_kind kind;
    char key[KEYLEN], dest[KEYLEN];
    lfs_off_t off;
    lfs_size_t len;
    uint32_t seed;
};

static void random_key(uint32_t *s, char *out) {
    static const char *parts[] = {"a", "b", "c"};
    int depth = 1 + (int)(rng_next(s) % 3);
    out[0] = '\0';
    for (int i = 0; i < depth; i++) {
        if (i) {
            strcat(out, "/");
        }
        strcat(out, parts[rng_next(s) % 3]);
    }
}

static void random_op(uint32_t *s, struct op *op, int atomic_only) {
    memset(op, 0, sizeof(*op));
    op->kind = (enum op_kind)(rng_next(s) % OP_COUNT);
    random_key(s, op->key);
    random_key(s, op->dest);
    op->seed = rng_next(s);
    /* mostly small values, sometimes a few blocks */
    op->len = rng_next(s) % 4 == 0 ? 600 + rng_next(s) % 700 : rng_next(s) % 40;
    op->off = rng_next(s) % 50;
    if (atomic_only && op->kind == OP_REMOVE) {
        /* the atomic subset: removing a dictionary is not one commit */
        op->kind = OP_SET;
    }
}

static int m_apply(struct model *m, const struct op *op) {
    int crosses, k = m_kind(m, op->key, &crosses);
    uint8_t data[VALMAX];
    kv_fill(data, op->len, op->seed);
    switch (op->kind) {
    case OP_SET:
    case OP_PARTIAL:
    case OP_ALLOC: {
        if (crosses) {
            return LFS_ERR_NOTDIR;
        }
        if (op->kind == OP_ALLOC && k) {
            return LFS_ERR_EXIST;
        }
        if (k == 2) {
            return LFS_ERR_ISDIR;
        }
        lfs_size_t off = op->kind == OP_PARTIAL ? op->off : 0;
        if (off + op->len > VALMAX) {
            return 1;   /* not generated */
        }
        m_parents(m, op->key);
        struct entry *e = m_find(m, op->key);
        if (!e) {
            e = m_add(m, op->key, 0);
        }
        if (op->kind == OP_SET || op->kind == OP_ALLOC) {
            e->len = 0;
        }
        if (e->len < off) {
            memset(e->val + e->len, 0, off - e->len);
        }
        if (op->kind == OP_ALLOC) {
            memset(e->val, 0, op->len);
        } else {
            memcpy(e->val + off, data, op->len);
        }
        if (off + op->len > e->len) {
            e->len = off + op->len;
        }
        return 0;
    }
    case OP_REMOVE:
        if (!k) {
            return LFS_ERR_NOENT;
        }
        for (int i = m->n - 1; i >= 0; i--) {
            if (is_under(op->key, m->e[i].key)) {
                m_del(m, &m->e[i]);
            }
        }
        m_del(m, m_find(m, op->key));
        return 0;
    case OP_RENAME: {
        if (is_under(op->key, op->dest)) {
            return LFS_ERR_INVAL;
        }
        if (!k) {
            return LFS_ERR_NOENT;
        }
        if (strcmp(op->key, op->dest) == 0) {
            return 0;
        }
        int dcross, dk = m_kind(m, op->dest, &dcross);
        char target[2 * KEYLEN];
        snprintf(target, sizeof(target), "%s", op->dest);
        if (dk == 2) {
            const char *slash = strrchr(op->key, '/');
            snprintf(target, sizeof(target), "%s/%s", op->dest, slash ? slash + 1 : op->key);
            if (strcmp(target, op->key) == 0) {
                return 0;
            }
            if (strlen(target) >= KEYLEN) {
                return 1;
            }
            dk = m_kind(m, target, &dcross);
            if (dk == 2) {
                return k == 1 ? LFS_ERR_ISDIR : LFS_ERR_EXIST;
            }
        } else if (dk == 0 && dcross) {
            return LFS_ERR_NOTDIR;
        }
        if (dk == 1 && k == 2) {
            return LFS_ERR_ISDIR;
        }
        struct entry *t = m_find(m, target);
        if (t) {
            m_del(m, t);
        }
        m_parents(m, target);
        size_t n = strlen(op->key);
        for (int i = 0; i < m->n; i++) {
            struct entry *e = &m->e[i];
            if (strcmp(e->key, op->key) == 0 || is_under(op->key, e->key)) {
                char moved[2 * KEYLEN];
                snprintf(moved, sizeof(moved), "%s%s", target, e->key + n);
                int depth = 0;
                for (const char *c = moved; *c; c++) {
                    depth += *c == '/';
                }
                if (strlen(moved) >= KEYLEN || depth > 2) {
                    return 1;   /* deeper than the checked tree */
                }
                strcpy(e->key, moved);
            }
        }
        return 0;
    }
    default:
        fail();
    }
    return 0;
}

static int kv_apply(kv_t *kv, const struct op *op) {
    uint8_t data[VALMAX];
    kv_fill(data, op->len, op->seed);
    switch (op->kind) {
    case OP_SET:
        return kv_set(kv, op->key, data, op->len);
    case OP_PARTIAL:
        return kv_set_partial(kv, op->key, op->off, data, op->len);
    case OP_ALLOC:
        return kv_allocate(kv, op->key, op->len, NULL);
    case OP_REMOVE:
        return kv_remove(kv, op->key);
    case OP_RENAME:
        return kv_rename(kv, op->key, op->dest);
    default:
        fail();
    }
    return 0;
}

/* ---- comparing the disk with a model ------------------------------------------- */

/* Set while re-running a failed comparison to print why it failed. */
static int explain;

struct seen {
    kv_t *kv;
    struct model *m;
    int values, dicts;
    int mismatch;
};

static int check_child(void *ctx, const char *key, enum kv_kind kind) {
    struct seen *s = ctx;
    struct entry *e = m_find(s->m, key + 1);
    if (!e || e->dict != (kind == KV_DICTIONARY)) {
        if (explain)
            print_message("unexpected %s %s\n", kind == KV_VALUE ? "value" : "dictionary", key);
        s->mismatch = 1;
        return 0;
    }
    if (kind == KV_VALUE) {
        s->values++;
    } else {
        s->dicts++;
    }
    return 0;
}

/* Every model entry is on disk with its value, and the disk lists nothing
 * else. With values_only, dictionaries are compared only as holders of
 * values (a cut may leave empty parents). */
static int mismatch(int line) {
    if (explain)
        print_message("disk differs from the model (check at line %d)\n", line);
    return 0;
}

static int disk_matches(kv_t *kv, struct model *m, int values_only) {
    static uint8_t buf[VALMAX + 1];
    int values = 0;
    for (int i = 0; i < m->n; i++) {
        struct entry *e = &m->e[i];
        enum kv_kind k;
        if (kv_exists(kv, e->key, &k) != 0) {
            return mismatch(__LINE__);
        }
        if (e->dict) {
            if (k != KV_DICTIONARY && !(values_only && k == KV_NONE)) {
                return mismatch(__LINE__);
            }
            continue;
        }
        values++;
        lfs_size_t len = 0;
        if (k != KV_VALUE || kv_get(kv, e->key, buf, sizeof(buf), &len) != 0
                || len != e->len || memcmp(buf, e->val, len) != 0) {
            if (explain)
                print_message("value %s differs: kind %d, %u bytes, model %u\n",
                    e->key, k, (unsigned)len, (unsigned)e->len);
            return mismatch(__LINE__);
        }
    }
    /* no extra values: the total size and count of values agree */
    uint64_t total = 0, want = 0;
    for (int i = 0; i < m->n; i++) {
        want += m->e[i].dict ? 0 : m->e[i].len;
    }
    if (kv_size(kv, "/", &total) != 0 || total != want) {
        return mismatch(__LINE__);
    }
    struct seen s = {kv, m, 0, 0, 0};
    static const char *dirs[] = {"/", "a", "b", "c", "a/a", "a/b", "a/c", "b/a",
        "b/b", "b/c", "c/a", "c/b", "c/c"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        enum kv_kind k;
        if (kv_exists(kv, dirs[i], &k) != 0) {
            return mismatch(__LINE__);
        }
        if (k == KV_DICTIONARY) {
            struct entry *e = m_find(m, dirs[i]);
            if (!values_only && i && !e) {
                return mismatch(__LINE__);
            }
            if (e || i == 0) {
                if (kv_list(kv, dirs[i], check_child, &s) != 0) {
                    return mismatch(__LINE__);
                }
            }
        }
    }
    if (s.mismatch && !values_only) {
        return mismatch(__LINE__);
    }
    return s.values == values;
}

/* ---- the random workload ----------------------------------------------------------- */

static void run_workload(uint32_t seed, int ops) {
    struct kvdev d;
    kvdev_init(&d, 512, 512, seed);
    kvdev_fresh(&d);
    static struct model m;
    memset(&m, 0, sizeof(m));
    uint32_t s = seed | 1;
    int errors = 0;
    for (int i = 0; i < ops; i++) {
        struct op op;
        random_op(&s, &op, 0);
        static struct model before;
        before = m;
        int want = m_apply(&m, &op);
        if (want == 1) {
            m = before;
            continue;
        }
        d.clock.ps++;
        int got = kv_apply(&d.kv, &op);
        if (got != want) {
            print_message("seed %u op %d (%d %s %s): got %d, model %d\n",
                    seed, i, op.kind, op.key, op.dest, got, want);
        }
        assert_int_equal(got, want);
        errors += want != 0;
        if (!disk_matches(&d.kv, &m, 0)) {
            explain = 1;
            disk_matches(&d.kv, &m, 0);
            print_message("seed %u op %d: kind %d key %s dest %s off %u len %u -> %d\n",
                    seed, i, op.kind, op.key, op.dest, (unsigned)op.off,
                    (unsigned)op.len, got);
            fail();
        }
        if (i % 50 == 49) {
            assert_int_equal(kv_unmount(&d.kv), 0);
            assert_int_equal(kv_mount(&d.kv, &d.kcfg), 0);
            assert_true(disk_matches(&d.kv, &m, 0));
        }
    }
    /* the workload reached the errors, not only the happy paths */
    assert_true(errors > ops / 10);
    assert_int_equal(kv_unmount(&d.kv), 0);
    kvdev_free(&d);
}

static void test_random_workload(void **state) {
    (void)state;
    for (uint32_t seed = 1; seed <= 4; seed++) {
        run_workload(seed, 250);
    }
}

/* ---- power cuts at every write ------------------------------------------------------ */

static jmp_buf cut_jmp;

static void cut_cb(void *ctx) {
    (void)ctx;
    longjmp(cut_jmp, 1);
}

#define CUT_OPS 10

struct plan {
    struct op op[CUT_OPS];
    int result[CUT_OPS];
    uint64_t end[CUT_OPS];      /* device write count after each op */
    struct model after[CUT_OPS + 1];  /* after[0]: the initial state */
};

static void cut_workload(uint32_t seed, enum bd_emu_fault fault) {
    static struct plan p;
    memset(&p, 0, sizeof(p));
    struct kvdev d;
    kvdev_init(&d, 512, 128, seed);
    kvdev_fresh(&d);
    /* a few keys to start from */
    struct model m = {0};
    uint32_t s = seed * 7 + 1;
    for (int i = 0; i < 4; i++) {
        struct op op;
        random_op(&s, &op, 1);
        op.kind = OP_SET;
        op.len %= 700;
        struct model before = m;
        int want = m_apply(&m, &op);
        if (want == 1) {
            m = before;
            continue;
        }
        assert_int_equal(kv_apply(&d.kv, &op), want);
    }
    assert_int_equal(kv_unmount(&d.kv), 0);
    bd_emu_snapshot_t *start = bd_emu_snapshot(d.bd);
    assert_non_null(start);
    p.after[0] = m;
    /* the uninterrupted run: the plan and the write count of each op */
    assert_int_equal(kv_mount(&d.kv, &d.kcfg), 0);
    uint64_t base = bd_emu_write_ops(d.bd);
    for (int i = 0; i < CUT_OPS; i++) {
        struct model before = m;
        do {
            m = before;
            random_op(&s, &p.op[i], 1);
            p.result[i] = m_apply(&m, &p.op[i]);
        } while (p.result[i] == 1);
        assert_int_equal(kv_apply(&d.kv, &p.op[i]), p.result[i]);
        p.end[i] = bd_emu_write_ops(d.bd) - base;
        p.after[i + 1] = m;
    }
    assert_int_equal(kv_unmount(&d.kv), 0);
    uint64_t total = p.end[CUT_OPS - 1];
    /* a cut at each write of the run */
    for (uint64_t n = 1; n <= total; n++) {
        assert_int_equal(bd_emu_restore(d.bd, start), 0);
        bd_emu_reseed(d.bd, seed * 1000 + n);
        assert_int_equal(kv_mount(&d.kv, &d.kcfg), 0);
        uint64_t mount_writes = bd_emu_write_ops(d.bd) - base;
        (void)mount_writes;
        volatile int op_at = -1;
        assert_int_equal(bd_emu_arm_powerloss(d.bd, n, fault, cut_cb, NULL), 0);
        if (!setjmp(cut_jmp)) {
            for (int i = 0; i < CUT_OPS; i++) {
                op_at = i;
                kv_apply(&d.kv, &p.op[i]);
            }
            op_at = CUT_OPS;
            kv_unmount(&d.kv);
        }
        bd_emu_disarm_powerloss(d.bd);
        bd_emu_power_on(d.bd);
        if (op_at >= CUT_OPS) {
            continue;   /* the cut fell after the workload (not reached) */
        }
        /* a fresh view of the crashed disk: old or new, exactly */
        kv_t *kv = &d.kv;
        memset(kv, 0, sizeof(*kv));
        int err = kv_mount(kv, &d.kcfg);
        if (err) {
            print_message("seed %u fault %d cut %llu (op %d): mount %d\n",
                    seed, fault, (unsigned long long)n, op_at, err);
        }
        assert_int_equal(err, 0);
        int j = op_at;
        int old_ok = disk_matches(kv, &p.after[j], 1);
        int new_ok = disk_matches(kv, &p.after[j + 1], 1);
        if (!old_ok && !new_ok) {
            explain = 1;
            disk_matches(kv, &p.after[j], 1);
            disk_matches(kv, &p.after[j + 1], 1);
            print_message("seed %u fault %d cut %llu inside op %d (%d %s -> %s): "
                    "neither old nor new\n", seed, fault, (unsigned long long)n, j,
                    p.op[j].kind, p.op[j].key, p.op[j].dest);
        }
        assert_true(old_ok || new_ok);
        /* usable again: the interrupted op can be redone */
        struct model redo = new_ok ? p.after[j + 1] : p.after[j];
        if (!new_ok) {
            assert_int_equal(kv_apply(kv, &p.op[j]), p.result[j]);
            redo = p.after[j + 1];
        }
        assert_true(disk_matches(kv, &redo, 1));
        assert_int_equal(kv_set(kv, "probe", "p", 1), 0);
        kv_expect(kv, "probe", "p", 1);
        assert_int_equal(kv_unmount(kv), 0);
    }
    bd_emu_snapshot_free(start);
    kvdev_free(&d);
}

static void test_power_cuts_atomic(void **state) {
    (void)state;
    for (uint32_t seed = 1; seed <= 3; seed++) {
        cut_workload(seed, BD_EMU_FAULT_ATOMIC);
    }
}

static void test_power_cuts_torn(void **state) {
    (void)state;
    for (uint32_t seed = 4; seed <= 5; seed++) {
        cut_workload(seed, BD_EMU_FAULT_TORN_PREFIX);
        cut_workload(seed, BD_EMU_FAULT_TORN_BITS);
    }
}

static void test_power_cuts_ooo(void **state) {
    (void)state;
    for (uint32_t seed = 6; seed <= 7; seed++) {
        cut_workload(seed, BD_EMU_FAULT_OUT_OF_ORDER);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_workload),
        cmocka_unit_test(test_power_cuts_atomic),
        cmocka_unit_test(test_power_cuts_torn),
        cmocka_unit_test(test_power_cuts_ooo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
