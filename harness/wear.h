/*
 * wear.h - wear runs: a workload loops until its flash wears out.
 *
 * A workload is a TOML case that formats, mounts and loops over its
 * operations, calling wear_iteration() after each completed iteration and
 * wear_stop() with the error of an operation that failed:
 *
 *     for (;;) {
 *         int err = one_iteration(&lfs);
 *         if (err) { wear_stop(cfg, err); break; }
 *         if (!wear_iteration(cfg)) break;
 *     }
 *
 * Under build/wear a run is active (wear_run_begin): every iteration is
 * counted, per-block erase counts are sampled, the first block to wear out
 * and the error that ends the filesystem are recorded. Under build/torture
 * no run is active: wear_iteration() lets WEAR_QUICK_ITERATIONS iterations
 * through, so the same case is a cheap ordinary test there, and any error
 * passed to wear_stop() fails it.
 */
#ifndef TORTURE_WEAR_H
#define TORTURE_WEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lfs.h"
#include "bd_emu.h"

#define WEAR_QUICK_ITERATIONS 8

/* ---- what a workload calls ------------------------------------------------ */

/* Counts one completed iteration; false when the workload must stop. */
bool wear_iteration(const struct lfs_config *cfg);
/* An operation failed with err (< 0). In a wear run, LFS_ERR_NOSPC,
 * LFS_ERR_CORRUPT and LFS_ERR_IO end the run as the filesystem's end of
 * life and return; any other error, or any error outside a wear run,
 * fails the permutation. After it the workload may only close its files
 * and unmount, ignoring their errors: the filesystem is at its end. */
void wear_stop(const struct lfs_config *cfg, int err);
/* Adds application bytes written by other means than lfs_file_write
 * (build/wear counts lfs_file_write's bytes itself). */
void wear_app_bytes(uint64_t n);

/* ---- what a wear runner calls ----------------------------------------------- */

enum wear_end {
    WEAR_END_NONE = 0,      /* still running */
    WEAR_END_FS,            /* the filesystem failed (wear_stop) */
    WEAR_END_CAP,           /* the iteration cap was reached */
    WEAR_END_FIRST_BAD,     /* asked to stop at the first worn-out block */
    WEAR_END_RETURNED,      /* the workload returned on its own */
    WEAR_END_FAILED,        /* the workload failed (set by the runner) */
};

/* A moment of the run: where it stood when a point was reached. */
struct wear_point {
    bool reached;
    uint64_t iteration;     /* iterations completed before it */
    uint64_t app_bytes;
    uint64_t wear;          /* erases that wore blocks (sum of per-block wear) */
    uint64_t bytes_progged;
    uint32_t block;         /* first bad: the block */
    int err;                /* fs end: the error */
};

/* Per-block wear every `interval` iterations: row k is iteration k*interval
 * (row 0 is the start), except that the last row is the end of the run. */
struct wear_series {
    uint64_t interval;
    size_t rows;
    uint64_t *iteration;    /* rows */
    uint64_t *app_bytes;    /* rows */
    uint64_t *bytes_progged;/* rows */
    uint32_t *wear;         /* rows * blocks, row-major */
};

struct wear_options {
    uint64_t max_iterations;    /* the safety cap */
    size_t max_samples;         /* rows kept; the interval doubles to stay under */
    uint64_t interval;          /* the first sampling interval (>= 1) */
    bool until_first_bad;       /* stop at the first worn-out block */
};

struct wear_run {
    struct wear_options opt;
    bd_emu_t *bd;
    uint32_t blocks;            /* erase blocks under the filesystem */
    uint64_t iterations;
    uint64_t app_bytes;
    uint64_t *erases;           /* per block: erase calls the device counted */
    struct wear_point first_bad, fs_end;
    enum wear_end end;
    struct wear_series series;
};

/* Activates a run on bd (the first `blocks` erase blocks are reported) and
 * installs bd's trace callback. Returns 0, or -1 when out of memory. */
int wear_run_begin(struct wear_run *run, const struct wear_options *opt,
        bd_emu_t *bd, uint32_t blocks);
/* Deactivates it, taking the final sample, and removes the trace. The
 * results stay in run until wear_run_free(). */
void wear_run_end(struct wear_run *run);
void wear_run_free(struct wear_run *run);

#endif
