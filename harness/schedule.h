/*
 * schedule.h - power-loss schedules: where power is cut while a case runs,
 * and how each crashed state is judged.
 *
 * Crash points are named by the write ops (prog, erase, sync) of a run,
 * 1-based. `every=K` is the state after a cut at op K of the uninterrupted
 * run; `every=K.J` a cut at op J of the judge's run on state `every=K`
 * (depth 2), and so on. Those states are built from O(1) copy-on-write
 * snapshots taken before each op, so checking every crash point of a run
 * costs one pass plus the judges. The cut schedules of upstream (linear,
 * log, an explicit list) instead restart the case on the same disk after
 * each cut until it completes.
 */
#ifndef TORTURE_SCHEDULE_H
#define TORTURE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bd_emu.h"
#include "device.h"
#include "judge.h"
#include "torture_registry.h"

#define TORTURE_MAX_DEPTH 8
#define TORTURE_MAX_CUTS 64
#define TORTURE_SCHEDULE_MAX 512    /* longest schedule text */

enum torture_schedule_kind {
    TORTURE_SCHED_NONE,     /* one run, no power loss */
    TORTURE_SCHED_EVERY,    /* every crash point, nested `depth` levels deep */
    TORTURE_SCHED_RANDOM,   /* `count` crash points of the first level, seeded */
    TORTURE_SCHED_POINT,    /* the one crash point `points` (a path) */
    TORTURE_SCHED_LINEAR,   /* cut after 1, 2, 3, ... more writes; restart */
    TORTURE_SCHED_LOG,      /* cut after 1, 2, 4, 8, ... more writes; restart */
    TORTURE_SCHED_CUTS,     /* cut at the listed cumulative writes; restart */
};

struct torture_schedule {
    enum torture_schedule_kind kind;
    unsigned depth;                         /* EVERY */
    uint64_t count;                         /* RANDOM */
    size_t npoints;                         /* POINT: path; CUTS: list */
    uint64_t points[TORTURE_MAX_CUTS];
};

/* Parses a -P argument (none, every, depth:N, random:N, linear, log, or a
 * list like 3,17,42). Returns 0, or -1 with err. */
int torture_schedule_parse_arg(const char *s, struct torture_schedule *out,
        char *err, size_t errlen);
/* Parses an id's schedule field (none, every=K[.J...], linear, log,
 * cuts=A.B...). */
int torture_schedule_parse_id(const char *s, struct torture_schedule *out,
        char *err, size_t errlen);
/* The id field of a schedule that is one unit (none, linear, log, cuts=,
 * every=K for POINT); EVERY and RANDOM yield one field per crash point. */
void torture_schedule_format(const struct torture_schedule *s, char *buf, size_t len);
/* True for schedules that cut power (everything but NONE). */
bool torture_schedule_cuts(const struct torture_schedule *s);

/* Fault models: bd_emu's (0 .. BD_EMU_FAULT_COUNT-1), and the oracle's
 * own, applied at the crash point after an atomic cut: `badblock` (a block
 * in use starts failing progs or erases) and `bitflip=N` (N persistent bit
 * flips in blocks in use; `bitflip:N` on the command line). */
#define TORTURE_FAULT_BADBLOCK      BD_EMU_FAULT_COUNT
#define TORTURE_FAULT_BITFLIP_BASE  0x100
#define TORTURE_FAULT_BITFLIP_MAX   4096
#define TORTURE_FAULT_MAX_MODELS    16
/* The name of a fault model, as in ids ("bitflip=3"). The result of a
 * bitflip stays valid until the next call. */
const char *torture_fault_name(int f);
int torture_fault_parse(const char *s);     /* -1 if unknown */
/* The bd_emu fault that cuts the op (atomic for the oracle's own). */
enum bd_emu_fault torture_fault_base(int f);

enum torture_verdict { TORTURE_PASS, TORTURE_FAIL, TORTURE_SKIP };

/* One judged result. */
struct torture_outcome {
    enum torture_verdict verdict;
    const char *schedule;       /* the id's schedule field */
    const char *message;        /* failure, or NULL */
    const char *note;           /* remark on a pass, or NULL */
    bool cut;                   /* a power cut preceded the verdict */
    bool unique;                /* oracle: this crashed device was judged here
                                 * (not a byte-identical repeat) */
    uint64_t sdc;               /* oracle, bitflip: files silently corrupted */
    uint64_t rollbacks;         /* oracle, bitflip: directories rolled back */
    uint64_t unsettled;         /* oracle, metastable: read-only views that
                                 * disagreed until the first write settled */
    struct torture_op cut_op;   /* the op it interrupted (data NULL) */
    uint64_t cut_write;         /* its write index (cumulative for cut schedules) */
    uint64_t cuts;              /* power cuts this outcome stands for */
    const char *images;         /* saved images, one path per line, or NULL */
};

/* Where outcomes go. Any callback may be NULL. */
struct torture_sink {
    void *ctx;
    void (*outcome)(void *ctx, const struct torture_outcome *o);
    /* The crash point being judged (and the op its cut interrupted, or
     * NULL), for attributing a crash of the whole process; leave()
     * returns to the enclosing one. */
    void (*enter)(void *ctx, const char *schedule, const struct torture_op *cut);
    void (*leave)(void *ctx);
    /* True if this crash point was reported already (a resumed run). */
    bool (*done)(void *ctx, const char *schedule);
    /* A directory for a failure's disk images, or NULL not to save them. */
    const char *(*image_dir)(void *ctx, const char *schedule);
};

struct torture_exec {
    const struct torture_case *tcase;
    struct bd_emu_config bdcfg;
    struct lfs_config cfg;      /* callbacks and context are filled in */
    enum bd_emu_fault fault;    /* how the cut op is interrupted */
    int extra;                  /* 0, TORTURE_FAULT_BADBLOCK or a bitflip */
    uint64_t seed;
    const struct torture_judge *judge;
    const struct torture_sink *sink;
};

/* Runs the schedule, reporting to x->sink. Returns the crash points
 * checked (judged states, or cuts for the cut schedules). */
uint64_t torture_execute(const struct torture_exec *x, const struct torture_schedule *s);

/* How crashed states are built for this exec: "snapshot" (clone the
 * state before the op, then the interrupted op) or "replay" (run again up
 * to the cut: needed when the fault depends on unsynced writes or the case
 * on wear, which clones do not carry). */
const char *torture_exec_construction(const struct torture_exec *x);

#endif
