/*
 * report.h - what the parent keeps of each unit's outcomes, and how it
 * shows them: failure blocks, the progress line on a terminal, one JSON
 * object per outcome, and the closing `N passed, N failed[, N skipped]`.
 * Units are reported in plan order, whatever order workers finish in.
 */
#ifndef TORTURE_REPORT_H
#define TORTURE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plan.h"
#include "schedule.h"

struct result {
    char *id;
    char *schedule;
    enum torture_verdict verdict;
    char *message, *note, *images;
    char *fsck;                     /* lfstool fsck of failure.img: status line,
                                     * findings; or why it did not run */
    bool cut;
    char cut_kind[8];
    uint64_t cut_block, cut_off, cut_size, cut_write;
    uint64_t cuts;
    bool unique;                    /* oracle: a crashed device judged here */
    uint64_t sdc;                   /* oracle: files silently corrupted */
    uint64_t rollbacks;             /* oracle: directories rolled back */
    uint64_t unsettled;             /* oracle: unstable reads before a write */
};

struct unit_results {
    struct result *items;           /* failures; every outcome if kept */
    size_t count, cap;
    uint64_t passed, skipped, cuts; /* outcomes counted but not kept */
    uint64_t unique, sdc, rollbacks, unsettled; /* of every outcome, kept or not */
    char *prefix, *suffix;          /* id parts, from the worker's header */
    char *defines, *all_defines, *fault, *construction;
    char *output;                   /* the workers' stdout/stderr, if kept */
    bool complete;
};

/* Adds a copy of r; returns 0 or -1 when out of memory. */
int unit_results_add(struct unit_results *ur, const struct result *r);
void unit_results_sort(struct unit_results *ur);
void unit_results_free(struct unit_results *ur);

struct reporter {
    const struct torture_options *opt;
    const struct torture_plan *plan;
    FILE *json;
    bool tty;
    bool progress_shown;
    size_t units_done;
    uint64_t passed, failed, skipped, crash_points;
    uint64_t unique, sdc, rollbacks, unsettled;
    double start, last_progress;
};

int reporter_init(struct reporter *r, const struct torture_options *opt,
        const struct torture_plan *plan);
void reporter_unit(struct reporter *r, const struct torture_unit *u, struct unit_results *ur);
void reporter_progress(struct reporter *r, uint64_t live_points);
/* Prints the summary; returns the process exit status. */
int reporter_finish(struct reporter *r, bool interrupted);

double torture_now(void);

#endif
