/*
 * plan.h - the command line's choices, and the units of work they make.
 *
 * A unit is one permutation: a case, a geometry, a define permutation (or
 * the defines of a replayed id), one combination of -D overrides, a fault
 * model, a seed and a schedule. Units are numbered in a fixed order (suite,
 * case, geometry, permutation, override combination, fault); --shard K/N
 * keeps the units whose number is K-1 modulo N.
 */
#ifndef TORTURE_PLAN_H
#define TORTURE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defines.h"
#include "geometry.h"
#include "id.h"
#include "schedule.h"
#include "strset.h"
#include "torture_registry.h"

#define TORTURE_MAX_OVERRIDES 32
#define TORTURE_MAX_VALUES 256
#define TORTURE_MAX_GEOMETRIES 16

/* -D NAME=V[,V...] */
struct torture_override {
    int define;
    size_t count;
    intmax_t values[TORTURE_MAX_VALUES];
};

struct torture_options {
    const char **selectors;         /* suites, cases, globs, ids */
    size_t nselectors;
    struct torture_override overrides[TORTURE_MAX_OVERRIDES];
    size_t noverrides;
    struct torture_geometry geometries[TORTURE_MAX_GEOMETRIES];
    size_t ngeometries;             /* 0: all five */
    struct torture_schedule schedule;
    bool schedule_given;
    int faults[TORTURE_FAULT_MAX_MODELS];
    size_t nfaults;                 /* 0: the case's POWERLOSS_BEHAVIOR */
    uint64_t seed;
    bool seed_given;
    unsigned jobs;
    unsigned shard_k, shard_n;
    const char *json;
    const char *save_dir;           /* NULL: do not save images */
    bool fail_fast;
    int verbosity;                  /* -1 quiet, 0 normal, 1 verbose */
    double timeout;                 /* seconds without progress */
    bool list_suites, list_cases;
    const struct torture_judge *judge;  /* --judge; NULL: each case's own */
    const char *program;            /* argv[0], for replay commands */
    const char *disk_in;            /* --disk-in IMAGE, or NULL */
    const char *trace;              /* --trace FILE, or NULL */
};

struct torture_unit {
    size_t seq;                     /* position in the whole plan */
    const struct torture_case *tcase;
    struct torture_geometry geometry;
    long perm;                      /* -1: the id's defines instead */
    const struct torture_id *id;    /* the id replayed, or NULL */
    size_t combo;                   /* combination of -D overrides */
    int fault;                      /* -1: the case's POWERLOSS_BEHAVIOR */
    enum torture_level fault_level;
    struct torture_schedule schedule;
    uint64_t seed;
    struct strset done;             /* crash points reported (restarts) */
    unsigned restarts;
};

struct torture_plan {
    struct torture_unit *units;
    size_t count;
    size_t total;                   /* before sharding */
    size_t ncombos;
    struct torture_id *ids;         /* replayed ids, owned */
    size_t nids;
};

/* Builds the plan; returns 0, or -1 after printing why to stderr. */
int torture_plan_build(struct torture_plan *plan, const struct torture_registry *reg,
        const struct torture_options *opt);
void torture_plan_free(struct torture_plan *plan);

/* Sets the -D values of combination `combo` at command-line level. */
void torture_plan_apply_combo(const struct torture_options *opt, size_t combo);

/* The case named `name`, or NULL. */
const struct torture_case *torture_find_case(const struct torture_registry *reg,
        const char *name);

#endif
