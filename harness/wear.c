/*
 * wear.c - the wear-run state behind wear.h: iterations, application
 * bytes, per-block erase calls (from bd_emu's trace), the sampled per-block
 * wear, and the two end-of-life points.
 *
 * Assumes one run per process at a time (a global `active`, like trap.c's
 * stack) and that the workload passes the cfg of the device the run was
 * begun on. Wear is bd_emu's: erases that completed while the block was
 * good; a worn-out block is bad from the erase that reaches erase_cycles.
 */
#include <stdlib.h>
#include <string.h>

#include "wear.h"
#include "torture_case.h"

static struct wear_run *active;

/* Outside a run: the iterations let through, per device. */
static const bd_emu_t *quick_bd;
static uint64_t quick_count;

void wear_app_bytes(uint64_t n) {
    if (active) {
        active->app_bytes += n;
    }
}

static uint64_t wear_sum(const struct wear_run *run) {
    uint64_t sum = 0;
    for (uint32_t b = 0; b < run->blocks; b++) {
        sum += bd_emu_wear(run->bd, b);
    }
    return sum;
}

static void mark(struct wear_run *run, struct wear_point *p) {
    struct bd_emu_counters c;
    bd_emu_counters(run->bd, &c);
    p->reached = true;
    p->iteration = run->iterations;
    p->app_bytes = run->app_bytes;
    p->wear = wear_sum(run);
    p->bytes_progged = c.bytes_progged;
}

static void on_trace(void *ctx, const struct bd_emu_trace_event *ev) {
    struct wear_run *run = ctx;
    if (ev->op != BD_EMU_OP_ERASE || ev->result == LFS_ERR_INVAL || ev->block >= run->blocks) {
        return;
    }
    run->erases[ev->block]++;
    if (!run->first_bad.reached && bd_emu_is_bad(run->bd, ev->block) == 1) {
        mark(run, &run->first_bad);
        run->first_bad.block = ev->block;
    }
}

/* Writes the current state into row `r`. */
static void fill_row(struct wear_run *run, size_t r) {
    struct wear_series *s = &run->series;
    struct bd_emu_counters c;
    bd_emu_counters(run->bd, &c);
    s->iteration[r] = run->iterations;
    s->app_bytes[r] = run->app_bytes;
    s->bytes_progged[r] = c.bytes_progged;
    uint32_t *row = s->wear + r * run->blocks;
    for (uint32_t b = 0; b < run->blocks; b++) {
        row[b] = bd_emu_wear(run->bd, b);
    }
}

/* Keeps rows 0, 2, 4, ... and doubles the interval. */
static void thin(struct wear_run *run) {
    struct wear_series *s = &run->series;
    size_t kept = 0;
    for (size_t r = 0; r < s->rows; r += 2, kept++) {
        s->iteration[kept] = s->iteration[r];
        s->app_bytes[kept] = s->app_bytes[r];
        s->bytes_progged[kept] = s->bytes_progged[r];
        memmove(s->wear + kept * run->blocks, s->wear + r * run->blocks,
                run->blocks * sizeof(uint32_t));
    }
    s->rows = kept;
    s->interval *= 2;
}

static void sample(struct wear_run *run) {
    struct wear_series *s = &run->series;
    if (run->iterations % s->interval != 0) {
        return;
    }
    if (s->rows >= run->opt.max_samples) {
        thin(run);
        if (run->iterations % s->interval != 0) {
            return;
        }
    }
    fill_row(run, s->rows++);
}

bool wear_iteration(const struct lfs_config *cfg) {
    struct wear_run *run = active;
    if (!run) {
        const bd_emu_t *bd = torture_bd(cfg);
        if (bd != quick_bd) {
            quick_bd = bd;
            quick_count = 0;
        }
        return ++quick_count < WEAR_QUICK_ITERATIONS;
    }
    if (torture_bd(cfg) != run->bd) {
        torture_fail(NULL, 0, "wear_iteration: cfg is not the device of the wear run");
    }
    run->iterations++;
    sample(run);
    if (run->opt.until_first_bad && run->first_bad.reached) {
        run->end = WEAR_END_FIRST_BAD;
        return false;
    }
    if (run->iterations >= run->opt.max_iterations) {
        run->end = WEAR_END_CAP;
        return false;
    }
    return true;
}

void wear_stop(const struct lfs_config *cfg, int err) {
    struct wear_run *run = active;
    if (!run) {
        torture_fail(NULL, 0, "workload stopped with error %d after %ju iterations "
                "(no wear run: the quick run must not reach end of life)",
                err, (uintmax_t)quick_count);
    }
    if (torture_bd(cfg) != run->bd) {
        torture_fail(NULL, 0, "wear_stop: cfg is not the device of the wear run");
    }
    if (err != LFS_ERR_NOSPC && err != LFS_ERR_CORRUPT && err != LFS_ERR_IO) {
        torture_fail(NULL, 0, "workload failed with error %d after %ju iterations "
                "(only NOSPC, CORRUPT and IO end a wear run)", err, (uintmax_t)run->iterations);
    }
    mark(run, &run->fs_end);
    run->fs_end.err = err;
    run->end = WEAR_END_FS;
}

int wear_run_begin(struct wear_run *run, const struct wear_options *opt,
        bd_emu_t *bd, uint32_t blocks) {
    memset(run, 0, sizeof(*run));
    run->opt = *opt;
    if (run->opt.max_samples < 2) {
        run->opt.max_samples = 2;
    }
    run->bd = bd;
    run->blocks = blocks;
    struct wear_series *s = &run->series;
    size_t cap = run->opt.max_samples + 1;      /* + the final row */
    s->interval = opt->interval ? opt->interval : 1;
    run->erases = calloc(blocks ? blocks : 1, sizeof(uint64_t));
    s->iteration = calloc(cap, sizeof(uint64_t));
    s->app_bytes = calloc(cap, sizeof(uint64_t));
    s->bytes_progged = calloc(cap, sizeof(uint64_t));
    s->wear = calloc(cap * (blocks ? blocks : 1), sizeof(uint32_t));
    if (!run->erases || !s->iteration || !s->app_bytes || !s->bytes_progged || !s->wear) {
        wear_run_free(run);
        return -1;
    }
    fill_row(run, s->rows++);
    bd_emu_set_trace(bd, on_trace, run);
    active = run;
    return 0;
}

void wear_run_end(struct wear_run *run) {
    struct wear_series *s = &run->series;
    if (run->end == WEAR_END_NONE) {
        run->end = WEAR_END_RETURNED;
    }
    if (s->rows > 1 && s->iteration[s->rows - 1] == run->iterations) {
        fill_row(run, s->rows - 1);
    } else {
        fill_row(run, s->rows++);
    }
    bd_emu_set_trace(run->bd, NULL, NULL);
    active = NULL;
}

void wear_run_free(struct wear_run *run) {
    free(run->erases);
    free(run->series.iteration);
    free(run->series.app_bytes);
    free(run->series.bytes_progged);
    free(run->series.wear);
    memset(run, 0, sizeof(*run));
}
