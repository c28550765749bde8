/*
 * engine.h - the state a schedule's run shares between schedule.c (the
 * crash-point builders, reporting) and oracle.c (the crash oracle).
 *
 * Internal to the harness: the runner uses schedule.h only.
 */
#ifndef TORTURE_ENGINE_H
#define TORTURE_ENGINE_H

#include "schedule.h"

struct engine {
    const struct torture_exec *x;
    const struct torture_schedule *s;
    unsigned max_depth;         /* levels of crash points */
    uint64_t checked;
    uint64_t *picks;            /* RANDOM: sorted write indices */
    size_t npicks;
    bool point_found;           /* POINT: the leaf was reached */
    /* called by plain_run around the case's run on its device (oracle) */
    void (*run_start)(void *ctx, struct torture_dev *dev);
    void (*run_end)(void *ctx);
    /* set by run_end when the uninterrupted run broke a promise (oracle) */
    const char *run_failure;
};

/* One level of crash points: those made by one run's write hook. */
struct level {
    struct engine *e;
    unsigned depth;             /* level of the points this hook creates */
    const char *parent;         /* name of the enclosing point, or NULL */
    size_t cursor;              /* RANDOM: next pick */
};

/* The splitmix64 finaliser: a bijective 64-bit mixer (hash slots, the
 * oracle's fault choices, seeds of crash points). */
uint64_t torture_mix64(uint64_t x);
/* The PRNG seed of the fault at the crash point named `name`. */
uint64_t torture_point_seed(uint64_t seed, const char *name);

void torture_engine_emit(struct engine *e, const struct torture_outcome *o);
void torture_engine_enter(struct engine *e, const char *name, const struct torture_op *cut);
void torture_engine_leave(struct engine *e);
/* True if the sink reported this crash point already (a resumed run). */
bool torture_engine_done(struct engine *e, const char *name);
void torture_engine_save_images(struct engine *e, const char *name, bd_emu_snapshot_t *before,
        bd_emu_snapshot_t *after, const bd_emu_t *failed, char *out, size_t outlen);
void torture_engine_fail_setup(struct engine *e, const char *name, const char *why);
/* True if the schedule wants a crash point at write k of this level. */
bool torture_engine_wanted(struct level *lv, uint64_t k);
/* True if points of this depth are reported (POINT: only the leaf). */
bool torture_engine_reported(const struct engine *e, unsigned depth);
void torture_engine_point_name(char *buf, size_t len, const char *parent, uint64_t k);
/* The uninterrupted run, reported as "none" if `report`; returns its
 * write count. */
uint64_t torture_engine_plain_run(struct engine *e, torture_write_hook hook, void *hook_ctx,
        bool report);

#endif
