/*
 * judge.h - deciding whether a crashed device is acceptable.
 *
 * The schedules build a crashed state (a device just after a power cut,
 * powered back on) and hand it to a judge. The judge of upstream littlefs
 * is `restart`: run the reentrant case again from the top on that disk; the
 * state is acceptable if the case completes with all its assertions. The
 * default, `oracle` (oracle.c), judges the crash points of every, depth and
 * random for any case: the crashed state must be the durable state before
 * or after the interrupted operation, and usable again.
 */
#ifndef TORTURE_JUDGE_H
#define TORTURE_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include "device.h"
#include "torture_registry.h"

struct torture_judge {
    const char *name;
    /* Judges `dev` for case `c`. The device is the judge's to use; its
     * hook, if set, is how the schedule nests further crash points inside
     * whatever the judge runs on it. Returns true if acceptable, else false
     * with the reason in msg. */
    bool (*judge)(const struct torture_case *c, struct torture_dev *dev,
            char *msg, size_t msglen);
};

extern const struct torture_judge torture_judge_restart;
/* Marker for the oracle: it judges inside the schedule (oracle.c), so it
 * has no judge function of its own. */
extern const struct torture_judge torture_judge_oracle;

struct torture_schedule;
/* True if `judge` is the oracle and the schedule is one it runs (every,
 * depth, random, a crash point): then every case gets power loss, and the
 * case is not rerun. linear, log and cut lists always restart. */
bool torture_judges_alone(const struct torture_judge *judge,
        const struct torture_schedule *s);

/* Looks a judge up by name; NULL if there is none. */
const struct torture_judge *torture_judge_find(const char *name);

/* The judge of case c's crash points: `given` (the runner's --judge) if
 * not NULL, else the case's own `judge` key, else the oracle. */
const struct torture_judge *torture_judge_for_case(const struct torture_case *c,
        const struct torture_judge *given);

/* Runs case c once on dev. Returns true if it completed, false with the
 * failure in msg if an assertion failed. Power cuts and stops requested by
 * a schedule propagate to the enclosing trap. */
bool torture_run_case(const struct torture_case *c, struct torture_dev *dev,
        char *msg, size_t msglen);

/* Evaluates case c's `if` for the current defines. Returns 0 with *keep
 * (true when the case has no `if`), or -1 with the failure in err (a
 * define that cannot be evaluated). */
int torture_case_filter(const struct torture_case *c, bool *keep, char *err, size_t errlen);

#endif
