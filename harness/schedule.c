/*
 * schedule.c - runs a case under a power-loss schedule and reports each
 * judged crashed state to a sink.
 *
 * Crash points (every, random, depth, one point) are built one of two ways:
 * - snapshot: the uninterrupted run goes through the device hook, which
 *   before each write op takes an O(1) bd_emu snapshot, clones it, applies
 *   that op to the clone as interrupted by the fault model, and judges the
 *   clone; the original run then continues. Total cost: one run plus one
 *   clone and one judge per crash point, nothing kept between points.
 * - replay: the case runs again from a fresh device and the cut is armed at
 *   the op. Used when a clone cannot reproduce the crashed state: wear
 *   limits (clones start unworn). Snapshots carry the unsynced-write
 *   record, so the out-of-order fault uses clones too.
 * Either way the fault's random choices are reseeded per crash point from
 * the seed and the point's name, so both give the same state.
 *
 * Assumes the defines of the permutation are set and that only one exec
 * runs per process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schedule.h"
#include "disk_in.h"
#include "engine.h"
#include "oracle.h"
#include "trap.h"

/* ---- names ---------------------------------------------------------------- */

static int parse_count(const char *s, uint64_t *out);

static const char *const fault_names[BD_EMU_FAULT_COUNT] = {
    "atomic", "torn-prefix", "torn-bits", "metastable", "partial-erase", "ooo",
};

const char *torture_fault_name(int f) {
    static char bitflip[32];
    if (f >= 0 && f < BD_EMU_FAULT_COUNT) {
        return fault_names[f];
    }
    if (f == TORTURE_FAULT_BADBLOCK) {
        return "badblock";
    }
    if (f > TORTURE_FAULT_BITFLIP_BASE && f <= TORTURE_FAULT_BITFLIP_BASE
            + TORTURE_FAULT_BITFLIP_MAX) {
        snprintf(bitflip, sizeof(bitflip), "bitflip=%d", f - TORTURE_FAULT_BITFLIP_BASE);
        return bitflip;
    }
    return "?";
}

int torture_fault_parse(const char *s) {
    for (int i = 0; i < BD_EMU_FAULT_COUNT; i++) {
        if (strcmp(s, fault_names[i]) == 0) {
            return i;
        }
    }
    if (strcmp(s, "badblock") == 0) {
        return TORTURE_FAULT_BADBLOCK;
    }
    if (strncmp(s, "bitflip", 7) == 0 && (s[7] == ':' || s[7] == '=')) {
        uint64_t n;
        if (parse_count(s + 8, &n) == 0 && n <= TORTURE_FAULT_BITFLIP_MAX) {
            return TORTURE_FAULT_BITFLIP_BASE + (int)n;
        }
    }
    return -1;
}

enum bd_emu_fault torture_fault_base(int f) {
    return f >= 0 && f < BD_EMU_FAULT_COUNT ? (enum bd_emu_fault)f : BD_EMU_FAULT_ATOMIC;
}

/* Parses "A<sep>B<sep>C" of positive integers into points. */
static int parse_list(const char *s, char sep, struct torture_schedule *out,
        bool increasing, char *err, size_t errlen) {
    out->npoints = 0;
    const char *p = s;
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9') {
            goto bad;
        }
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v == 0 || (*end && *end != sep)
                || out->npoints == TORTURE_MAX_CUTS) {
            goto bad;
        }
        if (increasing && out->npoints && v <= out->points[out->npoints - 1]) {
            snprintf(err, errlen, "power-loss list '%s' must be strictly increasing "
                    "(cumulative write indices)", s);
            return -1;
        }
        out->points[out->npoints++] = v;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            goto bad;
        }
    }
    if (out->npoints) {
        return 0;
    }
bad:
    snprintf(err, errlen, "bad write-index list '%s' (positive integers separated "
            "by '%c', at most %d)", s, sep, TORTURE_MAX_CUTS);
    return -1;
}

static int parse_count(const char *s, uint64_t *out) {
    char *end;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0) {
        return -1;
    }
    *out = v;
    return 0;
}

int torture_schedule_parse_arg(const char *s, struct torture_schedule *out,
        char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    uint64_t n;
    if (strcmp(s, "none") == 0) {
        out->kind = TORTURE_SCHED_NONE;
    } else if (strcmp(s, "every") == 0) {
        out->kind = TORTURE_SCHED_EVERY;
        out->depth = 1;
    } else if (strcmp(s, "linear") == 0) {
        out->kind = TORTURE_SCHED_LINEAR;
    } else if (strcmp(s, "log") == 0) {
        out->kind = TORTURE_SCHED_LOG;
    } else if (strncmp(s, "depth:", 6) == 0) {
        if (parse_count(s + 6, &n) || n > TORTURE_MAX_DEPTH) {
            snprintf(err, errlen, "bad depth in '%s' (1 to %d)", s, TORTURE_MAX_DEPTH);
            return -1;
        }
        out->kind = TORTURE_SCHED_EVERY;
        out->depth = (unsigned)n;
    } else if (strncmp(s, "random:", 7) == 0) {
        if (parse_count(s + 7, &n)) {
            snprintf(err, errlen, "bad count in '%s' (random:N, N > 0)", s);
            return -1;
        }
        out->kind = TORTURE_SCHED_RANDOM;
        out->count = n;
    } else if (*s >= '0' && *s <= '9') {
        out->kind = TORTURE_SCHED_CUTS;
        return parse_list(s, ',', out, true, err, errlen);
    } else {
        snprintf(err, errlen, "unknown power-loss schedule '%s' (none, every, depth:N, "
                "random:N, linear, log, or a list like 3,17,42)", s);
        return -1;
    }
    return 0;
}

int torture_schedule_parse_id(const char *s, struct torture_schedule *out,
        char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    if (strncmp(s, "every=", 6) == 0) {
        out->kind = TORTURE_SCHED_POINT;
        if (parse_list(s + 6, '.', out, false, err, errlen) < 0) {
            return -1;
        }
        if (out->npoints > TORTURE_MAX_DEPTH) {
            snprintf(err, errlen, "crash point '%s' is nested deeper than %d",
                    s, TORTURE_MAX_DEPTH);
            return -1;
        }
        return 0;
    }
    if (strncmp(s, "cuts=", 5) == 0) {
        out->kind = TORTURE_SCHED_CUTS;
        return parse_list(s + 5, '.', out, true, err, errlen);
    }
    if (strcmp(s, "none") == 0 || strcmp(s, "linear") == 0 || strcmp(s, "log") == 0) {
        return torture_schedule_parse_arg(s, out, err, errlen);
    }
    snprintf(err, errlen, "unknown schedule '%s' in id (none, every=K[.J...], "
            "linear, log, cuts=A.B...)", s);
    return -1;
}

static void format_path(char *buf, size_t len, const char *head, const uint64_t *p, size_t n) {
    size_t used = (size_t)snprintf(buf, len, "%s", head);
    for (size_t i = 0; i < n && used < len; i++) {
        used += (size_t)snprintf(buf + used, len - used, "%s%llu", i ? "." : "",
                (unsigned long long)p[i]);
    }
}

void torture_schedule_format(const struct torture_schedule *s, char *buf, size_t len) {
    switch (s->kind) {
    case TORTURE_SCHED_NONE:   snprintf(buf, len, "none"); break;
    case TORTURE_SCHED_LINEAR: snprintf(buf, len, "linear"); break;
    case TORTURE_SCHED_LOG:    snprintf(buf, len, "log"); break;
    case TORTURE_SCHED_CUTS:   format_path(buf, len, "cuts=", s->points, s->npoints); break;
    case TORTURE_SCHED_POINT:  format_path(buf, len, "every=", s->points, s->npoints); break;
    case TORTURE_SCHED_EVERY:
        if (s->depth == 1) {
            snprintf(buf, len, "every");
        } else {
            snprintf(buf, len, "depth:%u", s->depth);
        }
        break;
    case TORTURE_SCHED_RANDOM:
        snprintf(buf, len, "random:%llu", (unsigned long long)s->count);
        break;
    }
}

bool torture_schedule_cuts(const struct torture_schedule *s) {
    return s->kind != TORTURE_SCHED_NONE;
}

/* ---- the engine ------------------------------------------------------------ */

uint64_t torture_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

uint64_t torture_point_seed(uint64_t seed, const char *name) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *p = name; *p; p++) {
        h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
    }
    return torture_mix64(seed ^ torture_mix64(h));
}

static bool snapshot_construction(const struct torture_exec *x) {
    return x->bdcfg.erase_cycles == 0;
}

const char *torture_exec_construction(const struct torture_exec *x) {
    return snapshot_construction(x) ? "snapshot" : "replay";
}

void torture_engine_emit(struct engine *e, const struct torture_outcome *o) {
    e->checked += o->cuts;
    if (e->x->sink->outcome) {
        e->x->sink->outcome(e->x->sink->ctx, o);
    }
}

void torture_engine_enter(struct engine *e, const char *name, const struct torture_op *cut) {
    if (e->x->sink->enter) {
        e->x->sink->enter(e->x->sink->ctx, name, cut);
    }
}

void torture_engine_leave(struct engine *e) {
    if (e->x->sink->leave) {
        e->x->sink->leave(e->x->sink->ctx);
    }
}

bool torture_engine_done(struct engine *e, const char *name) {
    return e->x->sink->done && e->x->sink->done(e->x->sink->ctx, name);
}

/* A new device for a run: erased, or holding the --disk-in image. */
static bd_emu_t *fresh_device(struct engine *e, char *err, size_t errlen) {
    bd_emu_t *bd = bd_emu_create(&e->x->bdcfg, err, errlen);
    if (bd && torture_disk_in_image()
            && torture_disk_in_load(bd, e->x->bdcfg.block_size, e->x->bdcfg.block_count,
                e->x->cfg.block_size, e->x->cfg.block_count, err, errlen) < 0) {
        bd_emu_destroy(bd);
        return NULL;
    }
    return bd;
}

/* Saves the images of a failure; writes their paths into out. */
void torture_engine_save_images(struct engine *e, const char *name, bd_emu_snapshot_t *before,
        bd_emu_snapshot_t *after, const bd_emu_t *failed, char *out, size_t outlen) {
    out[0] = '\0';
    const char *dir = e->x->sink->image_dir
            ? e->x->sink->image_dir(e->x->sink->ctx, name) : NULL;
    if (!dir) {
        return;
    }
    struct { const char *file; bd_emu_snapshot_t *snap; const bd_emu_t *bd; } imgs[] = {
        {"before.img", before, NULL}, {"after.img", after, NULL}, {"failure.img", NULL, failed},
    };
    size_t used = 0;
    for (size_t i = 0; i < 3; i++) {
        if (!imgs[i].snap && !imgs[i].bd) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, imgs[i].file);
        bd_emu_t *tmp = imgs[i].snap ? bd_emu_clone(imgs[i].snap) : NULL;
        const bd_emu_t *src = imgs[i].snap ? tmp : imgs[i].bd;
        int rc = src ? bd_emu_save_image(src, path) : LFS_ERR_NOMEM;
        bd_emu_destroy(tmp);
        if (rc == 0 && used < outlen) {
            used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? "\n" : "", path);
        }
    }
}

void torture_engine_fail_setup(struct engine *e, const char *name, const char *why) {
    struct torture_outcome o = {
        .verdict = TORTURE_FAIL, .schedule = name, .message = why,
    };
    torture_engine_emit(e, &o);
}

/* ---- snapshot construction ---------------------------------------------- */

bool torture_engine_wanted(struct level *lv, uint64_t k) {
    struct engine *e = lv->e;
    switch (e->s->kind) {
    case TORTURE_SCHED_POINT:
        return e->s->points[lv->depth - 1] == k;
    case TORTURE_SCHED_NONE:
        return false;
    case TORTURE_SCHED_RANDOM:
        while (lv->cursor < e->npicks && e->picks[lv->cursor] < k) {
            lv->cursor++;
        }
        return lv->cursor < e->npicks && e->picks[lv->cursor] == k;
    default:
        return true;
    }
}

bool torture_engine_reported(const struct engine *e, unsigned depth) {
    return e->s->kind != TORTURE_SCHED_POINT || depth == e->s->npoints;
}

void torture_engine_point_name(char *buf, size_t len, const char *parent, uint64_t k) {
    if (parent) {
        snprintf(buf, len, "%s.%llu", parent, (unsigned long long)k);
    } else {
        snprintf(buf, len, "every=%llu", (unsigned long long)k);
    }
}

struct until_done {
    bool (*fn)(const struct torture_case *c, struct torture_dev *dev, char *msg,
            size_t msglen);
    const struct torture_case *c;
    struct torture_dev *dev;
    char *msg;
    size_t msglen;
    bool ok;
};

static void call_until_done(void *arg) {
    struct until_done *u = arg;
    u->ok = u->fn(u->c, u->dev, u->msg, u->msglen);
}

/* fn(c, dev, msg) (a judge, or the case's run) with a DONE raised inside
 * counting as completion. Returns 1 if fn returned true, 0 if false (msg),
 * 2 if stopped by DONE. */
static int until_done(bool (*fn)(const struct torture_case *, struct torture_dev *, char *,
        size_t), const struct torture_case *c, struct torture_dev *dev, char *msg,
        size_t msglen) {
    struct until_done u = {fn, c, dev, msg, msglen, false};
    if (torture_trap_catch(TORTURE_TRAP_DONE, call_until_done, &u)) {
        return 2;
    }
    return u.ok ? 1 : 0;
}

static void every_hook(void *ctx, struct torture_dev *dev, const struct torture_op *op) {
    struct level *lv = ctx;
    struct engine *e = lv->e;
    const struct torture_exec *x = e->x;
    if (!torture_engine_wanted(lv, op->index)) {
        return;
    }
    char name[TORTURE_SCHEDULE_MAX];
    torture_engine_point_name(name, sizeof(name), lv->parent, op->index);
    bool report = torture_engine_reported(e, lv->depth);
    if (report && torture_engine_done(e, name)) {
        return;
    }
    torture_engine_enter(e, name, op);
    char msg[TORTURE_MESSAGE_MAX] = "";
    char images[2048] = "";
    bool ok = false;
    bd_emu_snapshot_t *before = bd_emu_snapshot(dev->bd);
    bd_emu_t *clone = before ? bd_emu_clone(before) : NULL;
    bd_emu_snapshot_t *after = NULL;
    struct torture_dev jd;
    if (!clone) {
        snprintf(msg, sizeof(msg), "out of memory building crash state %s", name);
    } else {
        bd_emu_reseed(clone, torture_point_seed(x->seed, name));
        bd_emu_inject_fault(clone, op->kind, x->fault, op->block, op->off, op->data, op->size);
        bd_emu_power_on(clone);
        after = bd_emu_snapshot(clone);
        torture_dev_wrap(&jd, &x->cfg, clone);
        struct level child = {e, lv->depth + 1, name, 0};
        if (lv->depth < e->max_depth) {
            jd.hook = every_hook;
            jd.hook_ctx = &child;
        }
        if (e->s->kind == TORTURE_SCHED_POINT && lv->depth == e->s->npoints) {
            e->point_found = true;
        }
        int r = until_done(x->judge->judge, x->tcase, &jd, msg, sizeof(msg));
        if (r == 2) {
            /* a deeper point was the one replayed: unwind to the top */
            torture_dev_close(&jd);
            bd_emu_snapshot_free(after);
            bd_emu_snapshot_free(before);
            torture_engine_leave(e);
            torture_trap_raise(TORTURE_TRAP_DONE);
        }
        ok = r == 1;
        if (!ok && report) {
            torture_engine_save_images(e, name, before, after, jd.bd, images, sizeof(images));
        }
        torture_dev_close(&jd);
    }
    if (report) {
        struct torture_outcome o = {
            .verdict = ok ? TORTURE_PASS : TORTURE_FAIL,
            .schedule = name,
            .message = ok ? NULL : msg,
            .cut = true,
            .cut_op = *op,
            .cut_write = op->index,
            .cuts = 1,
            .images = images[0] ? images : NULL,
        };
        o.cut_op.data = NULL;
        torture_engine_emit(e, &o);
    }
    torture_engine_leave(e);
    bd_emu_snapshot_free(after);
    bd_emu_snapshot_free(before);
    if (e->s->kind == TORTURE_SCHED_POINT && report) {
        torture_trap_raise(TORTURE_TRAP_DONE);
    }
}

/* The uninterrupted run, reported as "none"; returns its write count. */
uint64_t torture_engine_plain_run(struct engine *e, torture_write_hook hook, void *hook_ctx,
        bool report) {
    char err[256];
    bd_emu_t *bd = fresh_device(e, err, sizeof(err));
    if (!bd) {
        torture_engine_fail_setup(e, "none", err);
        return 0;
    }
    struct torture_dev dev;
    torture_dev_wrap(&dev, &e->x->cfg, bd);
    dev.hook = hook;
    dev.hook_ctx = hook_ctx;
    char msg[TORTURE_MESSAGE_MAX] = "";
    if (report) {
        torture_engine_enter(e, "none", NULL);
    }
    if (e->run_start) {
        e->run_start(hook_ctx, &dev);
    }
    int r = until_done(torture_run_case, e->x->tcase, &dev, msg, sizeof(msg));
    if (r != 2 && e->run_end) {
        e->run_end(hook_ctx);
        if (r == 1 && e->run_failure) {
            r = 0;
            snprintf(msg, sizeof(msg), "%s", e->run_failure);
        }
    }
    if (report && r != 2 && !torture_engine_done(e, "none")) {
        char images[2048] = "";
        if (r == 0) {
            torture_engine_save_images(e, "none", NULL, NULL, dev.bd, images, sizeof(images));
        }
        struct torture_outcome o = {
            .verdict = r ? TORTURE_PASS : TORTURE_FAIL,
            .schedule = "none",
            .message = r ? NULL : msg,
            .images = images[0] ? images : NULL,
        };
        torture_engine_emit(e, &o);
    }
    if (report) {
        torture_engine_leave(e);
    }
    uint64_t writes = dev.writes;
    torture_dev_close(&dev);
    return writes;
}

/* ---- cut runs: restarting on the same disk -------------------------------- */

enum cut_mode { CUT_RELATIVE, CUT_ABSOLUTE, CUT_LINEAR, CUT_LOG };
enum cut_result { CUT_COMPLETED, CUT_FAILED, CUT_STOPPED };

struct cut_state {
    struct engine *e;
    enum cut_mode mode;
    const uint64_t *list;       /* RELATIVE / ABSOLUTE */
    size_t n;
    bool stop_after_last;       /* return the crashed device after the last cut */
    size_t fired;
    uint64_t target;            /* absolute write index of the next cut, 0: none */
    uint64_t period;
    bd_emu_snapshot_t *before, *after;
    struct torture_op cut_op;
};

static void cut_fired(void *ctx) {
    (void)ctx;
    torture_trap_raise(TORTURE_TRAP_CUT);
}

static void cut_name(const struct cut_state *st, char *buf, size_t len) {
    if (st->mode == CUT_RELATIVE) {
        format_path(buf, len, "every=", st->list, st->fired + 1);
    } else {
        snprintf(buf, len, "cut=%llu", (unsigned long long)st->target);
    }
}

static void cut_hook(void *ctx, struct torture_dev *dev, const struct torture_op *op) {
    struct cut_state *st = ctx;
    /* a cut armed for an op that bd_emu refused must not hit the next one */
    bd_emu_disarm_powerloss(dev->bd);
    if (op->index != st->target) {
        return;
    }
    char name[TORTURE_SCHEDULE_MAX];
    cut_name(st, name, sizeof(name));
    bd_emu_snapshot_free(st->before);
    st->before = bd_emu_snapshot(dev->bd);
    st->cut_op = *op;
    st->cut_op.data = NULL;
    bd_emu_reseed(dev->bd, torture_point_seed(st->e->x->seed, name));
    bd_emu_arm_powerloss(dev->bd, 1, st->e->x->fault, cut_fired, NULL);
}

/* Sets the target after a cut at write w; false when there is none. */
static bool next_target(struct cut_state *st, uint64_t w) {
    switch (st->mode) {
    case CUT_RELATIVE:
    case CUT_ABSOLUTE:
        if (st->fired >= st->n) {
            st->target = 0;
            return false;
        }
        st->target = (st->mode == CUT_RELATIVE ? w : 0) + st->list[st->fired];
        return true;
    case CUT_LINEAR:
        st->period += 1;
        break;
    case CUT_LOG:
        st->period = st->period ? st->period * 2 : 1;
        break;
    }
    st->target = w + st->period;
    return true;
}

static enum cut_result cut_loop(struct cut_state *st, struct torture_dev *dev,
        char *msg, size_t msglen) {
    const struct torture_case *c = st->e->x->tcase;
    struct torture_trap trap;
    next_target(st, 0);
    for (;;) {
        torture_trap_push(&trap);
        if (setjmp(trap.jmp) == 0) {
            c->run(&dev->cfg);
            torture_trap_pop(&trap);
            return CUT_COMPLETED;
        }
        torture_trap_pop(&trap);
        if (torture_trap_reason() == TORTURE_TRAP_FAIL) {
            snprintf(msg, msglen, "%s", torture_trap_message());
            return CUT_FAILED;
        }
        if (torture_trap_reason() != TORTURE_TRAP_CUT) {
            torture_trap_raise(torture_trap_reason());
        }
        bd_emu_snapshot_free(st->after);
        st->after = bd_emu_snapshot(dev->bd);
        st->fired++;
        bd_emu_power_on(dev->bd);
        if (!next_target(st, dev->writes) && st->stop_after_last) {
            return CUT_STOPPED;
        }
    }
}

static void cut_state_free(struct cut_state *st) {
    bd_emu_snapshot_free(st->before);
    bd_emu_snapshot_free(st->after);
}

/* linear, log, and an explicit list: one outcome for the whole run. */
static void run_cut_schedule(struct engine *e) {
    char name[TORTURE_SCHEDULE_MAX];
    torture_schedule_format(e->s, name, sizeof(name));
    char err[256];
    bd_emu_t *bd = fresh_device(e, err, sizeof(err));
    if (!bd) {
        torture_engine_fail_setup(e, name, err);
        return;
    }
    struct cut_state st = {.e = e};
    st.mode = e->s->kind == TORTURE_SCHED_LINEAR ? CUT_LINEAR
            : e->s->kind == TORTURE_SCHED_LOG ? CUT_LOG : CUT_ABSOLUTE;
    st.list = e->s->points;
    st.n = e->s->npoints;
    struct torture_dev dev;
    torture_dev_wrap(&dev, &e->x->cfg, bd);
    dev.hook = cut_hook;
    dev.hook_ctx = &st;
    char msg[TORTURE_MESSAGE_MAX] = "";
    char note[128] = "";
    char images[2048] = "";
    torture_engine_enter(e, name, NULL);
    enum cut_result r = cut_loop(&st, &dev, msg, sizeof(msg));
    if (r == CUT_FAILED) {
        torture_engine_save_images(e, name, st.before, st.after, dev.bd, images, sizeof(images));
    } else if (st.mode == CUT_ABSOLUTE && st.fired < st.n) {
        snprintf(note, sizeof(note), "only %zu of %zu cuts happened: the run ended "
                "after %llu writes", st.fired, st.n, (unsigned long long)dev.writes);
    }
    struct torture_outcome o = {
        .verdict = r == CUT_FAILED ? TORTURE_FAIL : TORTURE_PASS,
        .schedule = name,
        .message = r == CUT_FAILED ? msg : NULL,
        .note = note[0] ? note : NULL,
        .cut = st.fired > 0,
        .cut_op = st.cut_op,
        .cut_write = st.cut_op.index,
        .cuts = st.fired,
        .images = images[0] ? images : NULL,
    };
    torture_engine_emit(e, &o);
    torture_engine_leave(e);
    cut_state_free(&st);
    torture_dev_close(&dev);
}

/* ---- replay construction -------------------------------------------------- */

/* Judges the crash point `path` (depth entries) built by replay; reports it
 * unless already done, and returns the judge's write count (for nesting). */
static uint64_t replay_point(struct engine *e, const uint64_t *path, unsigned depth,
        bool report) {
    const struct torture_exec *x = e->x;
    char name[TORTURE_SCHEDULE_MAX];
    format_path(name, sizeof(name), "every=", path, depth);
    char err[256];
    bd_emu_t *bd = fresh_device(e, err, sizeof(err));
    if (!bd) {
        torture_engine_fail_setup(e, name, err);
        return 0;
    }
    torture_engine_enter(e, name, NULL);
    struct cut_state st = {.e = e, .mode = CUT_RELATIVE, .list = path, .n = depth,
            .stop_after_last = true};
    struct torture_dev dev;
    torture_dev_wrap(&dev, &x->cfg, bd);
    dev.hook = cut_hook;
    dev.hook_ctx = &st;
    char msg[TORTURE_MESSAGE_MAX] = "";
    char images[2048] = "";
    uint64_t writes = 0;
    enum cut_result r = cut_loop(&st, &dev, msg, sizeof(msg));
    bool ok;
    if (r == CUT_STOPPED) {
        dev.hook = NULL;
        uint64_t start = dev.writes;
        ok = x->judge->judge(x->tcase, &dev, msg, sizeof(msg));
        writes = dev.writes - start;
    } else if (r == CUT_COMPLETED) {
        ok = false;
        snprintf(msg, sizeof(msg), "crash point %s does not exist: run %zu ended "
                "after %llu write ops", name, st.fired + 1,
                (unsigned long long)(dev.writes));
    } else {
        ok = false;   /* failed while recovering from an earlier cut */
    }
    if (!ok) {
        torture_engine_save_images(e, name, st.before, st.after, dev.bd, images, sizeof(images));
    }
    if (report && (!torture_engine_done(e, name) || e->s->kind == TORTURE_SCHED_POINT)) {
        struct torture_outcome o = {
            .verdict = ok ? TORTURE_PASS : TORTURE_FAIL,
            .schedule = name,
            .message = ok ? NULL : msg,
            .cut = st.fired > 0,
            .cut_op = st.cut_op,
            .cut_write = path[depth - 1],
            .cuts = 1,
            .images = images[0] ? images : NULL,
        };
        torture_engine_emit(e, &o);
    }
    torture_engine_leave(e);
    cut_state_free(&st);
    torture_dev_close(&dev);
    return writes;
}

static void replay_level(struct engine *e, uint64_t *path, unsigned depth, uint64_t writes) {
    struct level lv = {e, depth, NULL, 0};
    for (uint64_t k = 1; k <= writes; k++) {
        if (!torture_engine_wanted(&lv, k)) {
            continue;
        }
        path[depth - 1] = k;
        char name[TORTURE_SCHEDULE_MAX];
        format_path(name, sizeof(name), "every=", path, depth);
        bool deeper = depth < e->max_depth;
        if (torture_engine_done(e, name) && !deeper) {
            continue;
        }
        uint64_t inner = replay_point(e, path, depth, true);
        if (deeper) {
            replay_level(e, path, depth + 1, inner);
        }
    }
}

/* ---- random picks ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Picks min(count, writes) distinct indices in [1, writes] (Floyd). */
static int pick_random(struct engine *e, uint64_t writes) {
    uint64_t n = e->s->count < writes ? e->s->count : writes;
    e->picks = malloc((n ? n : 1) * sizeof(*e->picks));
    uint8_t *seen = calloc(writes / 8 + 1, 1);
    if (!e->picks || !seen) {
        free(seen);
        return -1;
    }
    uint64_t state = torture_point_seed(e->x->seed, "random");
    for (uint64_t j = writes - n + 1; j <= writes && n; j++) {
        state += UINT64_C(0x9e3779b97f4a7c15);
        uint64_t t = 1 + torture_mix64(state) % j;
        if (seen[t / 8] & (1u << (t % 8))) {
            t = j;
        }
        seen[t / 8] |= (uint8_t)(1u << (t % 8));
        e->picks[e->npicks++] = t;
    }
    free(seen);
    qsort(e->picks, e->npicks, sizeof(*e->picks), cmp_u64);
    return 0;
}

/* ---- entry point ------------------------------------------------------------- */

uint64_t torture_execute(const struct torture_exec *x, const struct torture_schedule *s) {
    struct engine e = {.x = x, .s = s};
    bool snap = snapshot_construction(x);
    switch (s->kind) {
    case TORTURE_SCHED_NONE:
        if (x->judge == &torture_judge_oracle) {
            torture_oracle_run(&e, true);   /* no crash points: the sync promises */
        } else {
            torture_engine_plain_run(&e, NULL, NULL, true);
        }
        break;
    case TORTURE_SCHED_LINEAR:
    case TORTURE_SCHED_LOG:
    case TORTURE_SCHED_CUTS:
        run_cut_schedule(&e);
        break;
    case TORTURE_SCHED_EVERY:
    case TORTURE_SCHED_RANDOM:
    case TORTURE_SCHED_POINT: {
        e.max_depth = s->kind == TORTURE_SCHED_EVERY ? s->depth
                : s->kind == TORTURE_SCHED_POINT ? (unsigned)s->npoints : 1;
        if (s->kind == TORTURE_SCHED_RANDOM) {
            uint64_t writes = torture_engine_plain_run(&e, NULL, NULL, false);
            if (pick_random(&e, writes) < 0) {
                torture_engine_fail_setup(&e, "none", "out of memory picking crash points");
                break;
            }
        }
        bool report_none = s->kind != TORTURE_SCHED_POINT;
        uint64_t path[TORTURE_MAX_DEPTH];
        if (torture_judges_alone(x->judge, s)) {
            torture_oracle_run(&e, report_none);
        } else if (snap) {
            struct level top = {&e, 1, NULL, 0};
            torture_engine_plain_run(&e, every_hook, &top, report_none);
        } else if (s->kind == TORTURE_SCHED_POINT) {
            replay_point(&e, s->points, (unsigned)s->npoints, true);
            e.point_found = true;   /* replay_point reports a missing point */
        } else {
            uint64_t writes = torture_engine_plain_run(&e, NULL, NULL, report_none);
            replay_level(&e, path, 1, writes);
        }
        if (s->kind == TORTURE_SCHED_POINT && !e.point_found) {
            char name[TORTURE_SCHEDULE_MAX], why[TORTURE_SCHEDULE_MAX + 128];
            torture_schedule_format(s, name, sizeof(name));
            snprintf(why, sizeof(why), "crash point %s does not exist: the run has "
                    "fewer write ops", name);
            torture_engine_fail_setup(&e, name, why);
        }
        free(e.picks);
        break;
    }
    }
    return e.checked;
}
