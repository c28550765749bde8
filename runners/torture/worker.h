/*
 * worker.h - one permutation, run in a forked worker process.
 *
 * The worker sets up the permutation's defines, prints its id, runs the
 * schedule and sends every outcome to the parent as wire records. While it
 * judges a crash point it keeps that point's name in a slot of memory
 * shared with the parent, so a crash or hang of the worker is charged to
 * the right id.
 */
#ifndef TORTURE_WORKER_H
#define TORTURE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "schedule.h"

struct worker_slot {
    volatile uint64_t progress;             /* bumped at every crash point */
    char current[TORTURE_SCHEDULE_MAX];     /* innermost point being judged */
    bool cut;                               /* its interrupted op is known: */
    struct torture_op op;                   /* (data not valid) */
};

/* Runs unit u and exits the process (status 0 after the 'E' record). */
void torture_worker_main(const struct torture_options *opt, struct torture_unit *u,
        int fd, struct worker_slot *slot)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* The id field of a schedule for a unit as a whole: multi-point schedules
 * (every, depth, random) give "none", their uninterrupted run. */
void torture_unit_schedule_field(const struct torture_schedule *s, char *buf, size_t len);

/* An id for u built without evaluating defines (permutation number and
 * override values), used when the worker died before printing its own. */
void torture_fallback_id(const struct torture_options *opt, const struct torture_unit *u,
        const char *schedule, char *buf, size_t len);

#endif
