/*
 * run.h - one wear run of one workload with one set of defines, and the
 * figures it hands back to the comparison.
 */
#ifndef WEAR_RUN_H
#define WEAR_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "geometry.h"
#include "torture_registry.h"
#include "wear.h"
#include "wear_stats.h"

#define WEAR_MAX_OVERRIDES 32

struct wear_override {
    int define;
    intmax_t value;
};

struct wear_request {
    const struct torture_case *tcase;
    struct torture_geometry geometry;
    struct wear_override overrides[WEAR_MAX_OVERRIDES];
    size_t noverrides;
    uint64_t seed;
    struct wear_options opt;
    const char *out;            /* directory, created by the caller */
};

/* What the comparison needs of a run; written by the child into memory
 * shared with the parent. */
struct wear_metrics {
    bool done;                  /* the child wrote these figures */
    bool failed;                /* the workload failed (message in summary.json) */
    enum wear_end end;
    uint64_t iterations, app_bytes, bytes_progged, erases;
    uint32_t blocks, erase_cycles, bad_blocks;
    struct wear_point first_bad, fs_end;
    struct wear_stats stats;
    double write_amplification; /* 0 when no application bytes */
};

/* Runs the request to its end and writes blocks.csv, series.csv,
 * series_blocks.csv and summary.json into req->out. Returns 0, 1 when the
 * workload failed (outputs written, with the message), or 2 when the run
 * could not be set up (message on stderr, nothing written). */
int wear_run_one(const struct wear_request *req, struct wear_metrics *m);

#endif
