/*
 * worker.c - the child side of a unit: defines, id, filter, device
 * configuration, the schedule, and the records sent to the parent.
 *
 * Runs in a freshly forked process that owns nothing else; it ends with
 * _exit so that nothing of the parent (stdio buffers, atexit handlers) runs
 * twice.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appendf.h"
#include "device.h"
#include "disk_in.h"
#include "fsck_run.h"
#include "trap.h"
#include "wire.h"
#include "worker.h"

#define STACK_MAX (TORTURE_MAX_DEPTH + 2)

struct child {
    const struct torture_options *opt;
    struct torture_unit *u;
    int fd;
    struct worker_slot *slot;
    struct wire_buf buf;
    char prefix[TORTURE_ID_MAX];    /* CASE:GEOMETRY:DEFINES: */
    char suffix[TORTURE_ID_MAX];    /* :FAULT:seed=S[:disk=PATH@HASH] */
    char stack[STACK_MAX][TORTURE_SCHEDULE_MAX];
    struct torture_op ops[STACK_MAX];
    bool has_op[STACK_MAX];
    size_t depth;
    char dir[TORTURE_ID_MAX + 256];
    char note[TORTURE_SCHEDULE_MAX + 64];  /* added to outcomes without one */
};

static void send_or_die(struct child *ch) {
    if (wire_send(ch->fd, &ch->buf) < 0) {
        _exit(4);   /* the parent is gone */
    }
}

/* PREFIX SCHEDULE SUFFIX, cut at len - 1 bytes */
static void format_id(const struct child *ch, const char *schedule, char *buf, size_t len) {
    const char *parts[3] = {ch->prefix, schedule, ch->suffix};
    size_t used = 0;
    for (int i = 0; i < 3 && len; i++) {
        size_t n = strlen(parts[i]);
        n = n < len - 1 - used ? n : len - 1 - used;
        memcpy(buf + used, parts[i], n);
        used += n;
    }
    if (len) {
        buf[used] = '\0';
    }
}

static const char *verdict_name(enum torture_verdict v) {
    return v == TORTURE_PASS ? "pass" : v == TORTURE_FAIL ? "fail" : "skip";
}

static const char *op_name(enum bd_emu_op k) {
    return k == BD_EMU_OP_PROG ? "prog" : k == BD_EMU_OP_ERASE ? "erase" : "sync";
}

/* Runs lfstool fsck on the failure.img among `images` (one path a line),
 * saving its output as fsck.txt beside it; false if there is none. */
static bool fsck_failure_image(const char *images, char *out, size_t outlen) {
    const char *p = images;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n >= 11 && n < 1024 && memcmp(p + n - 11, "failure.img", 11) == 0) {
            char image[1024], save[1024];
            snprintf(image, sizeof(image), "%.*s", (int)n, p);
            snprintf(save, sizeof(save), "%.*sfsck.txt", (int)(n - 11), p);
            torture_fsck_image(torture_lfstool_path(), image, save, 30, out, outlen);
            return true;
        }
        p += n + (nl ? 1 : 0);
    }
    return false;
}

static void sink_outcome(void *ctx, const struct torture_outcome *o) {
    struct child *ch = ctx;
    char id[TORTURE_ID_MAX + TORTURE_SCHEDULE_MAX];
    format_id(ch, o->schedule, id, sizeof(id));
    wire_begin(&ch->buf, 'O');
    wire_put(&ch->buf, "id", id);
    wire_put(&ch->buf, "r", verdict_name(o->verdict));
    wire_put(&ch->buf, "s", o->schedule);
    if (o->message) {
        wire_put(&ch->buf, "m", o->message);
    }
    if (o->note || ch->note[0]) {
        wire_put(&ch->buf, "n", o->note ? o->note : ch->note);
    }
    if (o->cut) {
        wire_put(&ch->buf, "ck", op_name(o->cut_op.kind));
        wire_putu(&ch->buf, "cb", o->cut_op.block);
        wire_putu(&ch->buf, "co", o->cut_op.off);
        wire_putu(&ch->buf, "cs", o->cut_op.size);
        wire_putu(&ch->buf, "cw", o->cut_write);
    }
    wire_putu(&ch->buf, "k", o->cuts);
    if (o->unique) {
        wire_putu(&ch->buf, "u", 1);
    }
    if (o->sdc) {
        wire_putu(&ch->buf, "z", o->sdc);
    }
    if (o->rollbacks) {
        wire_putu(&ch->buf, "rb", o->rollbacks);
    }
    if (o->unsettled) {
        wire_putu(&ch->buf, "us", o->unsettled);
    }
    if (o->images) {
        wire_put(&ch->buf, "i", o->images);
        char fsck[4096];
        if (o->verdict == TORTURE_FAIL && fsck_failure_image(o->images, fsck, sizeof(fsck))) {
            wire_put(&ch->buf, "fk", fsck);
        }
    }
    send_or_die(ch);
}

static void show_current(struct child *ch) {
    size_t top = ch->depth < STACK_MAX ? ch->depth : STACK_MAX;
    const char *cur = top ? ch->stack[top - 1] : "";
    size_t n = strlen(cur);
    memcpy(ch->slot->current, cur, n + 1);
    ch->slot->cut = top && ch->has_op[top - 1];
    if (ch->slot->cut) {
        ch->slot->op = ch->ops[top - 1];
    }
    ch->slot->progress++;
}

static void sink_enter(void *ctx, const char *schedule, const struct torture_op *cut) {
    struct child *ch = ctx;
    if (ch->depth < STACK_MAX) {
        snprintf(ch->stack[ch->depth], TORTURE_SCHEDULE_MAX, "%s", schedule);
        ch->has_op[ch->depth] = cut != NULL;
        if (cut) {
            ch->ops[ch->depth] = *cut;
            ch->ops[ch->depth].data = NULL;
        }
    }
    ch->depth++;
    show_current(ch);
}

static void sink_leave(void *ctx) {
    struct child *ch = ctx;
    ch->depth--;
    show_current(ch);
}

static bool sink_done(void *ctx, const char *schedule) {
    struct child *ch = ctx;
    return strset_has(&ch->u->done, schedule);
}

static int mkdirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            int r = mkdir(path, 0777);
            *p = '/';
            if (r < 0 && errno != EEXIST) {
                return -1;
            }
        }
    }
    return mkdir(path, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

static const char *sink_image_dir(void *ctx, const char *schedule) {
    struct child *ch = ctx;
    if (!ch->opt->save_dir) {
        return NULL;
    }
    char id[TORTURE_ID_MAX + TORTURE_SCHEDULE_MAX];
    format_id(ch, schedule, id, sizeof(id));
    if (strlen(id) > 200) {
        /* keep names short: case, then a hash of the whole id */
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (const char *p = id; *p; p++) {
            h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
        }
        snprintf(id, sizeof(id), "%s-%016llx", ch->u->tcase->name, (unsigned long long)h);
    }
    snprintf(ch->dir, sizeof(ch->dir), "%.1024s/%.255s", ch->opt->save_dir, id);
    return mkdirs(ch->dir) < 0 ? NULL : ch->dir;
}

void torture_unit_schedule_field(const struct torture_schedule *s, char *buf, size_t len) {
    if (s->kind == TORTURE_SCHED_EVERY || s->kind == TORTURE_SCHED_RANDOM) {
        snprintf(buf, len, "none");
    } else {
        torture_schedule_format(s, buf, len);
    }
}

void torture_fallback_id(const struct torture_options *opt, const struct torture_unit *u,
        const char *schedule, char *buf, size_t len) {
    size_t used = torture_appendf(buf, len, 0, "%s:%s:", u->tcase->name, u->geometry.name);
    size_t items = 0;
    if (u->perm >= 0) {
        used = torture_appendf(buf, len, used, "#%ld", u->perm);
        items++;
    }
    if (u->id) {
        for (size_t i = 0; i < u->id->ndefines; i++, items++) {
            used = torture_appendf(buf, len, used, "%s%s=%jd", items ? "," : "",
                    u->id->defines[i].name, u->id->defines[i].value);
        }
    }
    size_t combo = u->combo;
    char vals[TORTURE_MAX_OVERRIDES][48];
    for (size_t i = opt->noverrides; i-- > 0;) {
        const struct torture_override *o = &opt->overrides[i];
        snprintf(vals[i], sizeof(vals[i]), "%s=%jd", torture_define_name(o->define),
                o->values[combo % o->count]);
        combo /= o->count;
    }
    for (size_t i = 0; i < opt->noverrides; i++, items++) {
        used = torture_appendf(buf, len, used, "%s%s", items ? "," : "", vals[i]);
    }
    if (!items) {
        used = torture_appendf(buf, len, used, "-");
    }
    used = torture_appendf(buf, len, used, ":%s:%s:seed=%llu", schedule,
            u->fault >= 0 ? torture_fault_name((enum bd_emu_fault)u->fault) : "-",
            (unsigned long long)u->seed);
    if (torture_disk_in_image()) {
        char field[TORTURE_ID_MAX];
        torture_disk_in_field(torture_disk_in_image(), field, sizeof(field));
        torture_appendf(buf, len, used, ":%s", field);
    }
}

/* ---- the runner's policy for fresh devices: --disk-in, --trace ---------- */

static FILE *trace_file;
static bool trace_attached;

/* The first device of the worker, that of the uninterrupted run, gets the
 * trace. (The --disk-in image is loaded where devices are made.) */
static void fresh_device_hook(struct torture_dev *dev) {
    if (trace_file && !trace_attached) {
        trace_attached = true;
        bd_emu_set_trace_file(dev->bd, trace_file);
    }
}

/* Opens the --trace file with its header; -1 with err. */
static int open_trace(const char *path, const char *id, const struct bd_emu_config *g,
        char *err, size_t errlen) {
    trace_file = fopen(path, "w");
    if (!trace_file) {
        snprintf(err, errlen, "--trace %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(trace_file, "# brownout trace: %s\n# erase_size %u erase_count %u\n"
            "# op block off size result (erase blocks; bd_emu order)\n", id,
            g->block_size, g->block_count);
    return 0;
}

static void finish(struct child *ch)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

static void finish(struct child *ch) {
    if (trace_file) {
        fclose(trace_file);
        trace_file = NULL;
    }
    wire_begin(&ch->buf, 'E');
    send_or_die(ch);
    fflush(stdout);     /* the case's output; never the parent's streams */
    _exit(0);
}

/* Reports one outcome for the whole unit and ends the worker. */
static void conclude(struct child *ch, enum torture_verdict v, const char *msg,
        const char *note)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

static void conclude(struct child *ch, enum torture_verdict v, const char *msg,
        const char *note) {
    char field[TORTURE_SCHEDULE_MAX];
    torture_unit_schedule_field(&ch->u->schedule, field, sizeof(field));
    struct torture_outcome o = {.verdict = v, .schedule = field, .message = msg, .note = note};
    sink_outcome(ch, &o);
    finish(ch);
}

static void send_header(struct child *ch, const char *defines, const char *all,
        const char *fault, const char *construction) {
    wire_begin(&ch->buf, 'H');
    wire_put(&ch->buf, "p", ch->prefix);
    wire_put(&ch->buf, "q", ch->suffix);
    wire_put(&ch->buf, "dd", defines);
    wire_put(&ch->buf, "d", all);
    wire_put(&ch->buf, "f", fault);
    wire_put(&ch->buf, "x", construction);
    send_or_die(ch);
}

/* Evaluates the defines: `defines` gets the id field, `all` every define
 * that has a value, for the report. Returns 0 or -1 with err. */
static int evaluate_defines(char *defines, size_t dlen, char *all, size_t alen,
        char *err, size_t errlen) {
    size_t dused = 0, aused = 0, items = 0;
    /* the permutation's own defines first, then the rest */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < torture_defines_count(); i++) {
            enum torture_level level = torture_define_level((int)i);
            bool own = level >= TORTURE_LEVEL_CASE && i != TD_POWERLOSS_BEHAVIOR;
            if (level == TORTURE_LEVEL_UNSET || own != (pass == 0)) {
                continue;
            }
            intmax_t v;
            if (torture_define_try((int)i, &v, err, errlen) < 0) {
                return -1;
            }
            const char *name = torture_define_name((int)i);
            aused = torture_appendf(all, alen, aused, "%s%s=%jd", aused ? " " : "", name, v);
            if (own) {
                dused = torture_appendf(defines, dlen, dused,
                        "%s%s=%jd", items++ ? "," : "", name, v);
            }
        }
    }
    if (!items) {
        torture_appendf(defines, dlen, 0, "-");
    }
    return 0;
}

void torture_worker_main(const struct torture_options *opt, struct torture_unit *u,
        int fd, struct worker_slot *slot) {
    static struct child ch;
    ch.opt = opt;
    ch.u = u;
    ch.fd = fd;
    ch.slot = slot;
    show_current(&ch);

    torture_defines_reset();
    torture_geometry_apply(&u->geometry);
    if (u->perm >= 0) {
        torture_defines_apply_case(u->tcase, (size_t)u->perm);
    }
    if (u->id) {
        for (size_t i = 0; i < u->id->ndefines; i++) {
            torture_defines_set_const(torture_define_lookup(u->id->defines[i].name),
                    u->id->defines[i].value, TORTURE_LEVEL_ID);
        }
    }
    if (u->fault >= 0) {
        torture_defines_set_const(TD_POWERLOSS_BEHAVIOR, torture_fault_base(u->fault),
                u->fault_level);
    }
    torture_plan_apply_combo(opt, u->combo);

    static char defines[TORTURE_ID_MAX / 2], all[4 * TORTURE_ID_MAX];
    char err[TORTURE_MESSAGE_MAX];
    intmax_t fault = 0;
    if (evaluate_defines(defines, sizeof(defines), all, sizeof(all), err, sizeof(err)) < 0
            || torture_define_try(TD_POWERLOSS_BEHAVIOR, &fault, err, sizeof(err)) < 0) {
        char field[TORTURE_SCHEDULE_MAX], id[TORTURE_ID_MAX];
        torture_unit_schedule_field(&u->schedule, field, sizeof(field));
        torture_fallback_id(opt, u, field, id, sizeof(id));
        /* the fallback id ends in :SCHEDULE:FAULT:seed=S; split it */
        char *cut = strstr(id, field);
        snprintf(ch.suffix, sizeof(ch.suffix), "%s", cut + strlen(field));
        *cut = '\0';
        snprintf(ch.prefix, sizeof(ch.prefix), "%s", id);
        send_header(&ch, "-", "", "-", "-");
        conclude(&ch, TORTURE_FAIL, err, NULL);
    }
    int model = u->fault >= BD_EMU_FAULT_COUNT ? u->fault : (int)fault;
    const char *fault_name = torture_fault_name(model);
    snprintf(ch.prefix, sizeof(ch.prefix), "%s:%s:%s:", u->tcase->name, u->geometry.name,
            defines);
    int sl = snprintf(ch.suffix, sizeof(ch.suffix), ":%s:seed=%llu",
            (unsigned)fault < BD_EMU_FAULT_COUNT ? fault_name : "-",
            (unsigned long long)u->seed);
    if (torture_disk_in_image() && sl > 0 && (size_t)sl < sizeof(ch.suffix)) {
        ch.suffix[sl++] = ':';
        torture_disk_in_field(torture_disk_in_image(), ch.suffix + sl,
                sizeof(ch.suffix) - (size_t)sl);
    }

    const struct torture_judge *judge = torture_judge_for_case(u->tcase, opt->judge);
    struct torture_exec x = {.tcase = u->tcase, .seed = u->seed, .judge = judge};
    struct torture_sink sink = {&ch, sink_outcome, sink_enter, sink_leave, sink_done,
            sink_image_dir};
    x.sink = &sink;
    bool keep;
    if (torture_dev_config(&x.bdcfg, &x.cfg, u->seed, err, sizeof(err)) < 0) {
        send_header(&ch, defines, all, fault_name, "-");
        conclude(&ch, TORTURE_FAIL, err, NULL);
    }
    x.fault = (enum bd_emu_fault)fault;
    x.extra = model >= BD_EMU_FAULT_COUNT ? model : 0;
    send_header(&ch, defines, all, fault_name, torture_exec_construction(&x));
    if (torture_disk_in_image()) {
        /* the image must fit this permutation's device: checked on a scratch one */
        bd_emu_t *probe = bd_emu_create(&x.bdcfg, err, sizeof(err));
        int bad = !probe || torture_disk_in_load(probe, x.bdcfg.block_size,
                x.bdcfg.block_count, x.cfg.block_size, x.cfg.block_count, err,
                sizeof(err)) < 0;
        bd_emu_destroy(probe);
        if (bad) {
            conclude(&ch, TORTURE_FAIL, err, NULL);
        }
    }
    if (opt->trace) {
        char field[TORTURE_SCHEDULE_MAX], id[TORTURE_ID_MAX + TORTURE_SCHEDULE_MAX];
        torture_unit_schedule_field(&u->schedule, field, sizeof(field));
        format_id(&ch, field, id, sizeof(id));
        if (open_trace(opt->trace, id, &x.bdcfg, err, sizeof(err)) < 0) {
            conclude(&ch, TORTURE_FAIL, err, NULL);
        }
    }
    torture_dev_wrap_hook = fresh_device_hook;
    if (torture_case_filter(u->tcase, &keep, err, sizeof(err)) < 0) {
        conclude(&ch, TORTURE_FAIL, err, NULL);
    }
    if (!keep) {
        conclude(&ch, TORTURE_SKIP, NULL, "its 'if' is false for these defines");
    }
    struct torture_schedule sched = u->schedule;
    if (torture_schedule_cuts(&sched) && !u->tcase->reentrant
            && !torture_judges_alone(judge, &sched)) {
        sched.kind = TORTURE_SCHED_NONE;
        char field[TORTURE_SCHEDULE_MAX];
        torture_schedule_format(&u->schedule, field, sizeof(field));
        snprintf(ch.note, sizeof(ch.note), "not reentrant: ran once without power "
                "loss instead of %s", field);
    }
    torture_execute(&x, &sched);
    finish(&ch);
}
