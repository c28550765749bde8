/*
 * judge.c - running a case and its `if` under a trap, the restart judge,
 * the names of the judges, and which one judges a case (--judge, its
 * `judge` key, or the oracle). Assumes the case compiler admits only names
 * listed here.
 */
#include <stdio.h>
#include <string.h>

#include "judge.h"
#include "schedule.h"
#include "trap.h"

struct case_call {
    const struct torture_case *c;
    struct lfs_config *cfg;
    bool keep;
};

static void call_run(void *arg) {
    struct case_call *k = arg;
    k->c->run(k->cfg);
}

static void call_filter(void *arg) {
    struct case_call *k = arg;
    k->keep = k->c->filter();
}

bool torture_run_case(const struct torture_case *c, struct torture_dev *dev,
        char *msg, size_t msglen) {
    struct case_call k = {c, &dev->cfg, true};
    if (torture_trap_catch(TORTURE_TRAP_FAIL, call_run, &k)) {
        snprintf(msg, msglen, "%s", torture_trap_message());
        return false;
    }
    return true;
}

int torture_case_filter(const struct torture_case *c, bool *keep, char *err, size_t errlen) {
    struct case_call k = {c, NULL, true};
    if (c->filter && torture_trap_catch(TORTURE_TRAP_FAIL, call_filter, &k)) {
        snprintf(err, errlen, "%s", torture_trap_message());
        return -1;
    }
    *keep = k.keep;
    return 0;
}

static bool judge_restart(const struct torture_case *c, struct torture_dev *dev,
        char *msg, size_t msglen) {
    return torture_run_case(c, dev, msg, msglen);
}

const struct torture_judge torture_judge_restart = {"restart", judge_restart};

const struct torture_judge torture_judge_oracle = {"oracle", NULL};

static const struct torture_judge *const judges[] = {
    &torture_judge_oracle, &torture_judge_restart,
};

bool torture_judges_alone(const struct torture_judge *judge,
        const struct torture_schedule *s) {
    return judge == &torture_judge_oracle && (s->kind == TORTURE_SCHED_EVERY
            || s->kind == TORTURE_SCHED_RANDOM || s->kind == TORTURE_SCHED_POINT);
}

const struct torture_judge *torture_judge_find(const char *name) {
    for (size_t i = 0; i < sizeof(judges) / sizeof(judges[0]); i++) {
        if (strcmp(judges[i]->name, name) == 0) {
            return judges[i];
        }
    }
    return NULL;
}

const struct torture_judge *torture_judge_for_case(const struct torture_case *c,
        const struct torture_judge *given) {
    if (given) {
        return given;
    }
    const struct torture_judge *own = c->judge ? torture_judge_find(c->judge) : NULL;
    return own ? own : &torture_judge_oracle;
}
