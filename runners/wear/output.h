/*
 * output.h - the files a wear run and a comparison leave in their
 * directory (formats documented in /work/notes/wear-readme.md and read by
 * scripts/wear_report.py).
 */
#ifndef WEAR_OUTPUT_H
#define WEAR_OUTPUT_H

#include <stdio.h>

#include "device.h"
#include "run.h"

/* blocks.csv, series.csv, series_blocks.csv, summary.json in req->out.
 * failure: the workload's failure message, or NULL. Returns 0, or -1
 * with a message on stderr. */
int wear_write_outputs(const struct wear_request *req, const struct wear_run *run,
        const struct torture_dev *dev, const struct wear_metrics *m, const char *failure);

/* One run of a comparison, as the parent saw it. */
struct wear_compared {
    intmax_t value;
    const char *dir;            /* relative to the comparison's directory */
    const char *problem;        /* NULL, or why there are no figures / it failed */
    const struct wear_metrics *m;
};

/* comparison.json and comparison.csv in dir. Returns 0 or -1. */
int wear_write_comparison(const char *dir, const char *tcase, const char *define,
        const struct wear_compared *runs, size_t n);

/* s as a JSON string (quoted, escaped). */
void wear_json_string(FILE *f, const char *s);

#endif
