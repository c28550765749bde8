/*
 * pool.h - runs the plan's units in forked workers, at most `jobs` at a
 * time, and hands finished units to the reporter in plan order.
 *
 * A worker that crashes (signal, sanitizer report, bad exit) or makes no
 * progress for --timeout seconds fails the crash point it was judging, with
 * that point's id; the run goes on. A unit with further crash points to
 * judge restarts in a new worker that skips the ones already reported.
 */
#ifndef TORTURE_POOL_H
#define TORTURE_POOL_H

#include <stdbool.h>

#include "plan.h"
#include "report.h"

/* Returns true if the run stopped early (--fail-fast). */
bool torture_pool_run(const struct torture_options *opt, struct torture_plan *plan,
        struct reporter *rep);

#endif
