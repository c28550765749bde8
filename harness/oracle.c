/*
 * oracle.c - the crash oracle: the case runs once; every crash point is
 * judged against the durable states before and after the operation it
 * interrupts, then checked for usability, with byte-identical crashed
 * devices judged once.
 *
 * Operations are the case's public API calls (torture_api.h reports their
 * boundaries); outside calls, each device sync ends an operation (a
 * library over the core, the recovery's steps). At each
 * boundary the durable state S is taken, if the device changed since the
 * last one, by a fresh mount of a snapshot clone (tree.c); the crash
 * points made during the span (pending clones) are then judged against
 * (S before, S after). Only the last state's tree and the digests of all
 * states are kept. With depth > 1 the recovery of a crashed state is itself
 * watched the same way, its steps being the operations.
 *
 * Assumes one exec per process (the API observer is global).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appendf.h"
#include "oracle.h"
#include "recovery.h"
#include "torture_api.h"
#include "trap.h"
#include "tree.h"

#define LABEL_MAX 128

struct memo_entry {
    uint64_t key;               /* device hash, mixed with a bad block */
    bool used;
    uint64_t digest;            /* of the crashed state's tree */
    bool flips_ok;              /* bitflip: accepted as rollbacks / SDC */
    bool unsettled;             /* metastable: judged as settled, see judge() */
    bool recovered;
    int recovery_err;
    char *recovery_msg;         /* when not recovered */
    char first[TORTURE_SCHEDULE_MAX];
};

struct oracle {
    struct engine *e;
    const struct torture_exec *x;
    struct memo_entry *memo;
    size_t memo_cap, memo_count;
};

/* A set of 64-bit digests (open addressing; 0 stands for itself apart). */
struct seen {
    uint64_t *slot;
    size_t cap, count;
    bool zero;
};

/* A sync or close that returned 0: the file must be durable at that size. */
struct promise {
    char *path;
    lfs_soff_t size;
    char call[32];
};

struct pending {
    char name[TORTURE_SCHEDULE_MAX];
    struct torture_op op;
    bd_emu_t *clone;
    bd_emu_snapshot_t *before, *after;
    uint64_t key;
    bool report;
    char extra[96];             /* what the oracle's fault did, or "" */
};

struct tracker {
    struct oracle *o;
    struct level lv;
    struct torture_dev *dev;    /* the device watched */
    struct torture_tree prev;   /* the last durable state */
    bool have_prev;
    uint64_t prev_hash;
    struct seen seen;           /* of every state seen: its digest, each
                                 * directory's listing, each file's version */
    unsigned op;
    bool in_call;               /* inside a wrapped API call */
    bool after_sync;            /* the last write op was a sync */
    char label[LABEL_MAX];      /* the span being run */
    char before_label[LABEL_MAX];
    struct pending *pend;
    size_t npend, pend_cap;
    struct promise *promises;   /* of the running op */
    size_t npromises, promises_cap;
    char broken[TORTURE_MESSAGE_MAX / 2];   /* the first broken promise */
};

static void hook(void *ctx, struct torture_dev *dev, const struct torture_op *op);

static bool is_bitflip(const struct torture_exec *x) {
    return x->extra > TORTURE_FAULT_BITFLIP_BASE;
}

/* ---- the memo of judged crashed devices ------------------------------------- */

static struct memo_entry *memo_find(struct oracle *o, uint64_t key, bool *found) {
    if (o->memo_count * 2 >= o->memo_cap) {
        size_t cap = o->memo_cap ? 2 * o->memo_cap : 256;
        struct memo_entry *m = calloc(cap, sizeof(*m));
        if (!m) {
            return NULL;
        }
        for (size_t i = 0; i < o->memo_cap; i++) {
            if (o->memo[i].used) {
                size_t k = torture_mix64(o->memo[i].key) & (cap - 1);
                while (m[k].used) {
                    k = (k + 1) & (cap - 1);
                }
                m[k] = o->memo[i];
            }
        }
        free(o->memo);
        o->memo = m;
        o->memo_cap = cap;
    }
    size_t k = torture_mix64(key) & (o->memo_cap - 1);
    while (o->memo[k].used && o->memo[k].key != key) {
        k = (k + 1) & (o->memo_cap - 1);
    }
    *found = o->memo[k].used;
    return &o->memo[k];
}

static void memo_free(struct oracle *o) {
    for (size_t i = 0; i < o->memo_cap; i++) {
        free(o->memo[i].recovery_msg);
    }
    free(o->memo);
}

/* ---- durable states ------------------------------------------------------------ */

static void capture_device(struct tracker *tr, struct torture_tree *t) {
    bd_emu_snapshot_t *snap = bd_emu_snapshot(tr->dev->bd);
    bd_emu_t *clone = snap ? bd_emu_clone(snap) : NULL;
    bd_emu_snapshot_free(snap);
    memset(t, 0, sizeof(*t));
    if (!clone) {
        t->mount_err = LFS_ERR_NOMEM;
        return;
    }
    struct torture_dev d;
    torture_dev_wrap(&d, &tr->o->x->cfg, clone);
    if (torture_tree_capture(t, &d.cfg, torture_api_attr_types()) < 0) {
        t->walk_err = LFS_ERR_NOMEM;
    }
    torture_dev_close(&d);
}

static bool seen_has(const struct seen *st, uint64_t v) {
    if (!v) {
        return st->zero;
    }
    if (!st->cap) {
        return false;
    }
    size_t k = torture_mix64(v) & (st->cap - 1);
    while (st->slot[k] && st->slot[k] != v) {
        k = (k + 1) & (st->cap - 1);
    }
    return st->slot[k] == v;
}

static void seen_add(struct seen *st, uint64_t v) {
    if (!v) {
        st->zero = true;
        return;
    }
    if (st->count * 2 >= st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 256;
        uint64_t *slot = calloc(cap, sizeof(*slot));
        if (!slot) {
            return;     /* judged stricter, never wrongly accepted */
        }
        for (size_t i = 0; i < st->cap; i++) {
            if (st->slot[i]) {
                size_t k = torture_mix64(st->slot[i]) & (cap - 1);
                while (slot[k]) {
                    k = (k + 1) & (cap - 1);
                }
                slot[k] = st->slot[i];
            }
        }
        free(st->slot);
        st->slot = slot;
        st->cap = cap;
    }
    size_t k = torture_mix64(v) & (st->cap - 1);
    while (st->slot[k] && st->slot[k] != v) {
        k = (k + 1) & (st->cap - 1);
    }
    if (!st->slot[k]) {
        st->slot[k] = v;
        st->count++;
    }
}

/* Keeps what judging a bit-flipped state needs of a durable state: its
 * digest, each directory's listing, each entry's metadata (path, type,
 * size, attributes) and each file's version. */
static void remember(struct tracker *tr, const struct torture_tree *t) {
    seen_add(&tr->seen, torture_mix64(t->digest ^ UINT64_C(0x5157a7e)));
    for (size_t i = 0; i < t->count; i++) {
        seen_add(&tr->seen, t->entries[i].listing);
        seen_add(&tr->seen, torture_mix64(t->entries[i].rel));
    }
}

/* ---- the oracle's own faults at the crash point ------------------------------- */

struct used_blocks {
    lfs_block_t *b;
    size_t n, cap;
    lfs_block_t count;
};

static int collect(void *data, lfs_block_t block) {
    struct used_blocks *u = data;
    if (block >= u->count) {
        return 0;
    }
    for (size_t i = 0; i < u->n; i++) {
        if (u->b[i] == block) {
            return 0;
        }
    }
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 32;
        lfs_block_t *b = realloc(u->b, cap * sizeof(*b));
        if (!b) {
            return LFS_ERR_NOMEM;
        }
        u->b = b;
        u->cap = cap;
    }
    u->b[u->n++] = block;
    return 0;
}

/* The blocks in use on the crashed device (none if it does not mount). */
static void blocks_in_use(const struct torture_exec *x, bd_emu_t *bd, struct used_blocks *u) {
    struct torture_dev d;
    torture_dev_wrap(&d, &x->cfg, bd);
    struct lfs_config c = d.cfg;
    c.read_buffer = c.prog_buffer = c.lookahead_buffer = NULL;
    memset(u, 0, sizeof(*u));
    u->count = c.block_count;
    lfs_t lfs;
    if (lfs_mount(&lfs, &c) == 0) {
        lfs_fs_traverse(&lfs, collect, u);
        lfs_unmount(&lfs);
    }
}

/* Applies badblock or bitflip to the crashed device; returns the key
 * adjustment for the memo and describes what it did in `what`. */
static uint64_t apply_extra(const struct torture_exec *x, bd_emu_t *bd, uint64_t seed,
        char *what, size_t len) {
    if (!x->extra) {
        return 0;
    }
    struct used_blocks u;
    blocks_in_use(x, bd, &u);
    uint64_t r = seed;
    uint32_t esize = bd_emu_geometry(bd)->block_size;
    uint32_t per = x->cfg.block_size / esize;
    uint64_t adjust = 0;
    if (!u.n) {
        snprintf(what, len, "no block in use: nothing to %s",
                x->extra == TORTURE_FAULT_BADBLOCK ? "break" : "flip");
    } else if (x->extra == TORTURE_FAULT_BADBLOCK) {
        lfs_block_t b = u.b[torture_mix64(++r) % u.n];
        bool erase = torture_mix64(++r) & 1;
        bd_emu_set_bad_behavior(bd, erase ? BD_EMU_BAD_ERASE_ERROR : BD_EMU_BAD_PROG_ERROR);
        for (uint32_t i = 0; i < per; i++) {
            bd_emu_set_bad(bd, b * per + i, 1);
        }
        snprintf(what, len, "block %u fails its %s", (unsigned)b, erase ? "erases" : "progs");
        adjust = torture_mix64(((uint64_t)b << 1 | erase) + 1);
    } else {
        int n = x->extra - TORTURE_FAULT_BITFLIP_BASE;
        size_t used = (size_t)snprintf(what, len, "flipped");
        for (int i = 0; i < n; i++) {
            lfs_block_t b = u.b[torture_mix64(++r) % u.n];
            uint64_t bit = torture_mix64(++r) % ((uint64_t)x->cfg.block_size * 8);
            bd_emu_flip_bit(bd, b * per + (uint32_t)(bit / ((uint64_t)esize * 8)),
                    (uint32_t)(bit % ((uint64_t)esize * 8)));
            if (used < len) {
                used += (size_t)snprintf(what + used, len - used, "%s block %u bit %llu",
                        i ? "," : "", (unsigned)b, (unsigned long long)bit);
            }
        }
    }
    free(u.b);
    return adjust;
}

/* ---- judging a crash point ------------------------------------------------------ */

/* The digest of the crashed state as a first write settles it, taken on a
 * clone (the crashed device goes on to the recovery check unchanged).
 * Returns false if the clone cannot be made or the state cannot be read. */
static bool settled_digest(const struct torture_exec *x, bd_emu_t *bd, uint64_t *digest) {
    bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
    bd_emu_t *clone = snap ? bd_emu_clone(snap) : NULL;
    bd_emu_snapshot_free(snap);
    if (!clone) {
        return false;
    }
    struct torture_dev d;
    torture_dev_wrap(&d, &x->cfg, clone);
    struct torture_tree t;
    bool ok = torture_tree_capture_settled(&t, &d.cfg, torture_api_attr_types()) == 0
            && !t.mount_err && !t.walk_err;
    *digest = t.digest;
    torture_tree_free(&t);
    torture_dev_close(&d);
    return ok;
}

static void boundary(struct tracker *tr, const char *label);

static void step_boundary(void *ctx, const char *step) {
    struct tracker *tr = ctx;
    char label[LABEL_MAX];
    snprintf(label, sizeof(label), "recovery step '%s'", step);
    boundary(tr, label);
}

static void tracker_free(struct tracker *tr) {
    for (size_t i = 0; i < tr->npend; i++) {
        bd_emu_destroy(tr->pend[i].clone);
        bd_emu_snapshot_free(tr->pend[i].before);
        bd_emu_snapshot_free(tr->pend[i].after);
    }
    free(tr->pend);
    free(tr->seen.slot);
    for (size_t i = 0; i < tr->npromises; i++) {
        free(tr->promises[i].path);
    }
    free(tr->promises);
    torture_tree_free(&tr->prev);
}

/* Explains a state that matches neither expected one. */
static void explain(char *msg, size_t len, const char *span, const char *before_label,
        const struct torture_tree *before, const struct torture_tree *after,
        const struct torture_tree *got) {
    char a[256], b[256], c[256], line[2048];
    torture_tree_summary(before, a, sizeof(a));
    torture_tree_summary(after, b, sizeof(b));
    torture_tree_summary(got, c, sizeof(c));
    snprintf(line, sizeof(line), "oracle: after a crash inside %s, a fresh mount shows a "
            "state that is neither the durable state before it nor the one after it\n"
            "  before (%s): %s\n  after: %s\n  crashed: %s", span, before_label, a, b, c);
    size_t used = torture_appendf(msg, len, 0, "%s", line);
    if (before->digest == after->digest) {
        used = torture_appendf(msg, len, used,
                "\n  against the state (the op changed nothing durable):");
        torture_tree_diff(before, got, msg, len);
    } else {
        used = torture_appendf(msg, len, used, "\n  against the state before:");
        torture_tree_diff(before, got, msg, len);
        used = strlen(msg);
        used = torture_appendf(msg, len, used, "\n  against the state after:");
        torture_tree_diff(after, got, msg, len);
    }
}

/* Appends ", path" (or "path" first) to a note list, counting it. */
static void list_path(char *buf, size_t len, uint64_t *n, const char *path) {
    size_t used = strlen(buf);
    if (used < len) {
        snprintf(buf + used, len - used, "%s%s", *n ? ", " : "", path);
    }
    (*n)++;
}

/* Bit flips: metadata has CRCs per pair, so a flip makes that pair fall
 * back to an earlier commit while others keep theirs. Accepts `got` when
 * it reports LFS_ERR_CORRUPT, equals some earlier state as a whole, or
 * when every entry's metadata (name, type, size, attributes, in the same
 * directory, known by its first pair) is that of some earlier durable
 * state. A directory whose listing is neither the one
 * before nor after is a rollback (counted): its listing equals an earlier
 * one, or, for a directory spanning several pairs that fell back apart,
 * mixes entries of earlier ones. Files with known metadata but contents
 * no earlier state had are silent data corruptions (counted). */
static bool judge_flips(struct tracker *tr, const struct torture_tree *before,
        const struct torture_tree *after, const struct torture_tree *got,
        char *note, size_t len, uint64_t *rollbacks, uint64_t *sdc) {
    if (got->mount_err == LFS_ERR_CORRUPT || got->walk_err == LFS_ERR_CORRUPT) {
        snprintf(note, len, "bit flips: LFS_ERR_CORRUPT (%s)",
                got->mount_err ? "mount" : got->walk_where);
        return true;
    }
    if (seen_has(&tr->seen, torture_mix64(got->digest ^ UINT64_C(0x5157a7e)))) {
        snprintf(note, len, "bit flips: an earlier durable state as a whole");
        return true;
    }
    if (got->mount_err || got->walk_err) {
        return false;
    }
    char rolled[256] = "", corrupted[256] = "";
    for (size_t i = 0; i < got->count; i++) {
        const struct torture_tree_entry *g = &got->entries[i];
        if (!seen_has(&tr->seen, torture_mix64(g->rel))) {
            return false;       /* never existed, or a size it never had */
        }
        if (g->type == LFS_TYPE_DIR) {
            const struct torture_tree_entry *b = torture_tree_find(before, g->path);
            const struct torture_tree_entry *a = torture_tree_find(after, g->path);
            if ((!b || b->listing != g->listing) && (!a || a->listing != g->listing)) {
                list_path(rolled, sizeof(rolled), rollbacks, g->path);
            }
        } else if (!seen_has(&tr->seen, g->listing)) {
            list_path(corrupted, sizeof(corrupted), sdc, g->path);
        }
    }
    size_t used = 0;
    if (*rollbacks) {
        used += (size_t)snprintf(note, len, "bit flips: %llu metadata rollback(s): %s",
                (unsigned long long)*rollbacks, rolled);
    }
    if (*sdc && used < len) {
        snprintf(note + used, len - used, "%ssilent data corruption of %llu file(s): %s",
                used ? "; " : "", (unsigned long long)*sdc, corrupted);
    }
    return true;
}

static void judge(struct tracker *tr, struct pending *p, const struct torture_tree *before,
        const struct torture_tree *after) {
    struct oracle *o = tr->o;
    struct engine *e = o->e;
    const struct torture_exec *x = o->x;
    torture_engine_enter(e, p->name, &p->op);
    char msg[TORTURE_MESSAGE_MAX] = "", note[TORTURE_MESSAGE_MAX / 2] = "";
    bool found = false;
    struct memo_entry *m = memo_find(o, p->key, &found);
    struct torture_dev jd;
    torture_dev_wrap(&jd, &x->cfg, p->clone);
    p->clone = NULL;
    struct torture_tree got;
    memset(&got, 0, sizeof(got));
    bool have_got = false;
    uint64_t sdc = 0;
    struct memo_entry local = {0};
    if (!m) {
        m = &local;     /* out of memory: judge without remembering */
        found = false;
    }
    if (!found) {
        torture_tree_capture(&got, &jd.cfg, torture_api_attr_types());
        have_got = true;
        m->key = p->key;
        m->digest = got.digest;
        /* A commit cut with metastable bytes may check on one read and fail
         * on the next: until a write rewrites its pair, two reads of the
         * same directory may disagree (docs/design.md, "Metastable
         * commits").  Such a state is judged as the first write settles
         * it, and counted. */
        uint64_t settled;
        if (x->fault == BD_EMU_FAULT_METASTABLE && !x->extra
                && got.digest != before->digest && got.digest != after->digest
                && settled_digest(x, jd.bd, &settled)
                && (settled == before->digest || settled == after->digest)) {
            m->digest = settled;
            m->unsettled = true;
        }
        m->recovered = true;
        snprintf(m->first, sizeof(m->first), "%s", p->name);
        if (!got.mount_err) {
            struct tracker sub;
            memset(&sub, 0, sizeof(sub));
            struct torture_recovery_steps steps = {&sub, step_boundary};
            bool nest = tr->lv.depth < e->max_depth;
            if (nest) {
                sub.o = o;
                sub.lv = (struct level){e, tr->lv.depth + 1, p->name, 0};
                sub.dev = &jd;
                jd.hook = hook;
                jd.hook_ctx = &sub;
            }
            char rmsg[1024];
            m->recovered = torture_recovery_check(&jd.cfg, nest ? &steps : NULL,
                    rmsg, sizeof(rmsg), &m->recovery_err);
            jd.hook = NULL;
            if (nest) {
                tracker_free(&sub);
            }
            if (!m->recovered) {
                m->recovery_msg = strdup(rmsg);
            }
        }
        if (m != &local) {
            m->used = true;
            o->memo_count++;
        }
    } else {
        snprintf(note, sizeof(note), "same crashed device as %s", m->first);
    }
    bool state_ok = m->digest == before->digest || m->digest == after->digest;
    if (state_ok && m->unsettled) {
        size_t n = strlen(note);
        snprintf(note + n, sizeof(note) - n, "%sreads disagreed until the first write "
                "(metastable commit); settled as the state %s", n ? "; " : "",
                m->digest == before->digest ? "before" : "after");
    }
    uint64_t rollbacks = 0;
    if (!state_ok && is_bitflip(x) && found && m->flips_ok) {
        state_ok = true;        /* counted where first judged */
    } else if (!state_ok && is_bitflip(x)) {
        if (!have_got) {
            torture_tree_capture(&got, &jd.cfg, torture_api_attr_types());
            have_got = true;
        }
        state_ok = judge_flips(tr, before, after, &got, note, sizeof(note), &rollbacks, &sdc);
        m->flips_ok = state_ok;
        if (found) {
            rollbacks = sdc = 0;
        }
    }
    bool recovered = m->recovered;
    if (!recovered && is_bitflip(x) && (m->recovery_err == LFS_ERR_CORRUPT
            || m->recovery_err == TORTURE_RECOVERY_CENSUS)) {
        /* a flipped pointer in file data or a rolled-back pair: counted as a
         * note, the filesystem still mounts, writes and walks */
        recovered = true;
        size_t n = strlen(note);
        snprintf(note + n, sizeof(note) - n, "%s%s", n ? "; " : "",
                m->recovery_msg ? m->recovery_msg : "recovery census off");
    }
    bool ok = state_ok && recovered;
    if (!state_ok) {
        if (!have_got) {
            torture_tree_capture(&got, &jd.cfg, torture_api_attr_types());
            have_got = true;
        }
        explain(msg, sizeof(msg), tr->label, tr->before_label, before, after, &got);
    } else if (!recovered) {
        snprintf(msg, sizeof(msg), "oracle: after a crash inside %s the state is right, "
                "but the filesystem is not usable again: %s", tr->label,
                m->recovery_msg ? m->recovery_msg : "(out of memory)");
    }
    if (p->extra[0]) {
        size_t n = strlen(note);
        snprintf(note + n, sizeof(note) - n, "%s%s", n ? "; " : "", p->extra);
    }
    char images[2048] = "";
    if (!ok && p->report) {
        torture_engine_save_images(e, p->name, p->before, p->after, jd.bd, images,
                sizeof(images));
    }
    if (p->report) {
        struct torture_outcome out = {
            .verdict = ok ? TORTURE_PASS : TORTURE_FAIL,
            .schedule = p->name,
            .message = ok ? NULL : msg,
            .note = note[0] ? note : NULL,
            .cut = true,
            .unique = !found,
            .sdc = sdc,
            .rollbacks = rollbacks,
            .unsettled = !found && m->unsettled,
            .cut_op = p->op,
            .cut_write = p->op.index,
            .cuts = 1,
            .images = images[0] ? images : NULL,
        };
        torture_engine_emit(e, &out);
    }
    torture_engine_leave(e);
    if (m == &local) {
        free(local.recovery_msg);
    }
    torture_tree_free(&got);
    torture_dev_close(&jd);
    bd_emu_snapshot_free(p->before);
    bd_emu_snapshot_free(p->after);
    p->before = p->after = NULL;
}

/* ---- boundaries and crash points ---------------------------------------------- */

/* The promises of the op that just ended, against its durable state. */
static void check_promises(struct tracker *tr, const struct torture_tree *after) {
    for (size_t i = 0; i < tr->npromises; i++) {
        struct promise *pr = &tr->promises[i];
        const struct torture_tree_entry *f = torture_tree_find(after, pr->path);
        char shows[160];
        if (after->mount_err == LFS_ERR_INVAL) {
            shows[0] = '\0';    /* not mountable with the case's first config: grown */
        } else if (after->mount_err) {
            snprintf(shows, sizeof(shows), "no filesystem (mount returns %d)",
                    after->mount_err);
        } else if (!f) {
            snprintf(shows, sizeof(shows), "no such file");
        } else if (f->type != LFS_TYPE_REG) {
            snprintf(shows, sizeof(shows), "a directory");
        } else if ((lfs_soff_t)f->size != pr->size) {
            snprintf(shows, sizeof(shows), "size %u", f->size);
        } else {
            shows[0] = '\0';
        }
        if (shows[0] && !tr->broken[0]) {
            snprintf(tr->broken, sizeof(tr->broken), "oracle: %s of %s (%s) returned 0 but a "
                    "fresh mount shows %s (expected size %ld): a sync must be durable when "
                    "it returns", strcmp(pr->call, "lfs_file_close") == 0 ? "close" : "sync",
                    pr->path, tr->label, shows, (long)pr->size);
        }
        free(pr->path);
    }
    tr->npromises = 0;
}

/* Without crash points (-P none) only the promises are checked, by a
 * look at the promised files alone. */
static void boundary_promises_only(struct tracker *tr, const char *label) {
    if (tr->npromises) {
        const char **paths = malloc(tr->npromises * sizeof(*paths));
        bd_emu_snapshot_t *snap = paths ? bd_emu_snapshot(tr->dev->bd) : NULL;
        bd_emu_t *clone = snap ? bd_emu_clone(snap) : NULL;
        bd_emu_snapshot_free(snap);
        struct torture_tree t;
        memset(&t, 0, sizeof(t));
        if (clone) {
            for (size_t i = 0; i < tr->npromises; i++) {
                paths[i] = tr->promises[i].path;
            }
            struct torture_dev d;
            torture_dev_wrap(&d, &tr->o->x->cfg, clone);
            if (torture_tree_capture_paths(&t, &d.cfg, paths, tr->npromises) == 0) {
                check_promises(tr, &t);
            }
            torture_dev_close(&d);
        }
        torture_tree_free(&t);
        free(paths);
        for (size_t i = 0; i < tr->npromises; i++) {
            free(tr->promises[i].path);     /* unchecked when out of memory */
        }
        tr->npromises = 0;
    }
    snprintf(tr->label, sizeof(tr->label), "%s", label);
}

static void boundary(struct tracker *tr, const char *label) {
    if (tr->o->e->s->kind == TORTURE_SCHED_NONE) {
        boundary_promises_only(tr, label);
        return;
    }
    uint64_t hash = bd_emu_hash(tr->dev->bd);
    bool same = tr->have_prev && hash == tr->prev_hash;
    struct torture_tree now;
    memset(&now, 0, sizeof(now));
    if (!same) {
        capture_device(tr, &now);
    }
    const struct torture_tree *after = same ? &tr->prev : &now;
    const struct torture_tree *before = tr->have_prev ? &tr->prev : after;
    if (!same) {
        remember(tr, &now);     /* S_j counts among the earlier states */
    }
    /* judging may add nested points to other trackers, never to this one */
    for (size_t i = 0; i < tr->npend; i++) {
        judge(tr, &tr->pend[i], before, after);
    }
    tr->npend = 0;
    check_promises(tr, after);
    if (!same) {
        torture_tree_move(&tr->prev, &now);
        tr->have_prev = true;
        tr->prev_hash = hash;
        snprintf(tr->before_label, sizeof(tr->before_label), "as left by %.100s", tr->label);
    }
    snprintf(tr->label, sizeof(tr->label), "%s", label);
}

static void hook(void *ctx, struct torture_dev *dev, const struct torture_op *op) {
    struct tracker *tr = ctx;
    struct engine *e = tr->o->e;
    const struct torture_exec *x = tr->o->x;
    if (tr->after_sync && !tr->in_call) {
        /* outside API calls (a library over the core, a recovery step), each
         * device sync ends an operation: a commit */
        boundary(tr, "writes outside any API call, up to the next sync");
    }
    tr->after_sync = op->kind == BD_EMU_OP_SYNC;
    if (!torture_engine_wanted(&tr->lv, op->index)) {
        return;
    }
    struct pending p;
    memset(&p, 0, sizeof(p));
    torture_engine_point_name(p.name, sizeof(p.name), tr->lv.parent, op->index);
    p.report = torture_engine_reported(e, tr->lv.depth);
    bool leaf = tr->lv.depth == e->max_depth;
    if (p.report && leaf && torture_engine_done(e, p.name)) {
        return;
    }
    if (e->s->kind == TORTURE_SCHED_POINT && leaf) {
        e->point_found = true;
    }
    if (tr->npend == tr->pend_cap) {
        size_t cap = tr->pend_cap ? 2 * tr->pend_cap : 16;
        struct pending *np = realloc(tr->pend, cap * sizeof(*np));
        if (!np) {
            torture_engine_fail_setup(e, p.name, "out of memory keeping a crash state");
            return;
        }
        tr->pend = np;
        tr->pend_cap = cap;
    }
    p.op = *op;
    p.op.data = NULL;
    p.before = bd_emu_snapshot(dev->bd);
    p.clone = p.before ? bd_emu_clone(p.before) : NULL;
    if (!p.clone) {
        bd_emu_snapshot_free(p.before);
        torture_engine_fail_setup(e, p.name, "out of memory building a crash state");
        return;
    }
    uint64_t seed = torture_point_seed(x->seed, p.name);
    bd_emu_reseed(p.clone, seed);
    bd_emu_inject_fault(p.clone, op->kind, x->fault, op->block, op->off, op->data, op->size);
    bd_emu_power_on(p.clone);
    uint64_t adjust = apply_extra(x, p.clone, seed, p.extra, sizeof(p.extra));
    p.after = bd_emu_snapshot(p.clone);
    p.key = bd_emu_hash(p.clone) ^ adjust;
    tr->pend[tr->npend++] = p;
}

/* ---- the API observer ------------------------------------------------------------ */

static void api_begin(void *ctx, const char *name) {
    struct tracker *tr = ctx;
    char label[LABEL_MAX];
    snprintf(label, sizeof(label), "op %u (%s)", ++tr->op, name);
    boundary(tr, label);
    tr->in_call = true;
}

static void api_end(void *ctx, const char *name) {
    struct tracker *tr = ctx;
    char label[LABEL_MAX];
    snprintf(label, sizeof(label), "writes outside any API call after op %u (%s)",
            tr->op, name);
    boundary(tr, label);
    tr->in_call = false;
    tr->after_sync = false;
}

static void api_promise(void *ctx, const char *name, const char *path, lfs_soff_t size) {
    struct tracker *tr = ctx;
    if (tr->npromises == tr->promises_cap) {
        size_t cap = tr->promises_cap ? 2 * tr->promises_cap : 4;
        struct promise *p = realloc(tr->promises, cap * sizeof(*p));
        if (!p) {
            return;     /* unchecked, never wrongly failed */
        }
        tr->promises = p;
        tr->promises_cap = cap;
    }
    char *copy = strdup(path);
    if (copy) {
        struct promise *p = &tr->promises[tr->npromises++];
        p->path = copy;
        p->size = size;
        snprintf(p->call, sizeof(p->call), "%s", name);
    }
}

static struct torture_api_observer observer;

static void run_start(void *ctx, struct torture_dev *dev) {
    struct tracker *tr = ctx;
    tr->dev = dev;
    torture_api_reset();
    boundary(tr, "the case's first writes, before any API call");
    snprintf(tr->before_label, sizeof(tr->before_label), "the blank device");
    observer = (struct torture_api_observer){tr, api_begin, api_end, api_promise};
    torture_api_observe(&observer);
}

static void run_end(void *ctx) {
    struct tracker *tr = ctx;
    torture_api_observe(NULL);
    boundary(tr, "the end of the case");
    if (tr->broken[0]) {
        tr->o->e->run_failure = tr->broken;
    }
}

void torture_oracle_run(struct engine *e, bool report_none) {
    struct oracle o = {.e = e, .x = e->x};
    struct tracker top;
    memset(&top, 0, sizeof(top));
    top.o = &o;
    top.lv = (struct level){e, 1, NULL, 0};
    e->run_start = run_start;
    e->run_end = run_end;
    torture_engine_plain_run(e, hook, &top, report_none);
    torture_api_observe(NULL);
    e->run_start = NULL;
    e->run_end = NULL;
    e->run_failure = NULL;
    tracker_free(&top);
    memo_free(&o);
}
