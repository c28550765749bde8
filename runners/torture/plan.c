/*
 * plan.c - turns the selection (suites, cases, globs, ids) and the options
 * into the ordered, sharded list of units.
 */
#define _POSIX_C_SOURCE 200809L

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

const struct torture_case *torture_find_case(const struct torture_registry *reg,
        const char *name) {
    for (size_t s = 0; s < reg->suite_count; s++) {
        const struct torture_suite *suite = reg->suites[s];
        for (size_t c = 0; c < suite->case_count; c++) {
            if (strcmp(suite->cases[c].name, name) == 0) {
                return &suite->cases[c];
            }
        }
    }
    return NULL;
}

void torture_plan_apply_combo(const struct torture_options *opt, size_t combo) {
    for (size_t i = opt->noverrides; i-- > 0;) {
        const struct torture_override *o = &opt->overrides[i];
        torture_defines_set_const(o->define, o->values[combo % o->count], TORTURE_LEVEL_CLI);
        combo /= o->count;
    }
}

struct builder {
    struct torture_plan *plan;
    const struct torture_options *opt;
    size_t cap;
    int failed;
};

static void add(struct builder *b, const struct torture_unit *u) {
    size_t seq = b->plan->total++;
    unsigned n = b->opt->shard_n ? b->opt->shard_n : 1;
    if (seq % n != (b->opt->shard_n ? b->opt->shard_k - 1 : 0)) {
        return;
    }
    if (b->plan->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct torture_unit *units = realloc(b->plan->units, cap * sizeof(*units));
        if (!units) {
            fprintf(stderr, "torture: out of memory planning %zu units\n", cap);
            b->failed = 1;
            return;
        }
        b->plan->units = units;
        b->cap = cap;
    }
    struct torture_unit *dst = &b->plan->units[b->plan->count++];
    *dst = *u;
    dst->seq = seq;
}

static const struct torture_schedule *schedule_for(const struct torture_options *opt) {
    static const struct torture_schedule none = {.kind = TORTURE_SCHED_NONE};
    return opt->schedule_given ? &opt->schedule : &none;
}

static bool overridden(const struct torture_options *opt, int define) {
    if (define == TD_POWERLOSS_BEHAVIOR && opt->nfaults) {
        return true;
    }
    for (size_t i = 0; i < opt->noverrides; i++) {
        if (opt->overrides[i].define == define) {
            return true;
        }
    }
    return false;
}

/* True if permutation p of c differs from every earlier one in a define
 * the command line does not override (else it would run twice). */
static bool distinct_permutation(const struct torture_options *opt,
        const struct torture_case *c, size_t p) {
    size_t base = 0;
    for (size_t g = 0; g < c->group_count; g++) {
        const struct torture_group *grp = &c->groups[g];
        size_t n = 1;
        for (size_t d = 0; d < grp->count; d++) {
            n *= grp->defines[d].count;
        }
        if (p >= base + n) {
            base += n;
            continue;
        }
        /* p is distinct iff every overridden define has value index 0 */
        size_t idx = p - base;
        for (size_t d = grp->count; d-- > 0;) {
            const struct torture_define_values *dv = &grp->defines[d];
            if (idx % dv->count != 0 && overridden(opt, dv->define)) {
                return false;
            }
            idx /= dv->count;
        }
        return true;
    }
    return false;
}

/* Units of one case over the chosen geometries, permutations, overrides
 * and faults. */
static void add_case(struct builder *b, const struct torture_case *c) {
    const struct torture_options *opt = b->opt;
    size_t ngeo = opt->ngeometries ? opt->ngeometries : TORTURE_GEOMETRY_COUNT;
    const struct torture_geometry *geos = opt->ngeometries ? opt->geometries
            : torture_geometries;
    size_t nfaults = opt->nfaults ? opt->nfaults : 1;
    for (size_t g = 0; g < ngeo; g++) {
        for (size_t p = 0; p < c->permutations; p++) {
            if (!distinct_permutation(opt, c, p)) {
                continue;
            }
            for (size_t k = 0; k < b->plan->ncombos; k++) {
                for (size_t f = 0; f < nfaults; f++) {
                    struct torture_unit u = {
                        .tcase = c, .geometry = geos[g], .perm = (long)p, .combo = k,
                        .fault = opt->nfaults ? opt->faults[f] : -1,
                        .fault_level = TORTURE_LEVEL_CLI,
                        .schedule = *schedule_for(opt), .seed = opt->seed,
                    };
                    add(b, &u);
                }
            }
        }
    }
}

static void add_id(struct builder *b, const struct torture_registry *reg,
        struct torture_id *id) {
    const struct torture_options *opt = b->opt;
    const struct torture_case *c = torture_find_case(reg, id->case_name);
    if (!c) {
        fprintf(stderr, "torture: no case named '%s' (from the id)\n", id->case_name);
        b->failed = 1;
        return;
    }
    struct torture_unit u = {.tcase = c, .id = id, .perm = id->perm,
            .fault = id->fault, .fault_level = TORTURE_LEVEL_ID,
            .schedule = id->schedule, .seed = id->seed};
    char err[256];
    if (torture_geometry_parse(id->geometry, &u.geometry, err, sizeof(err)) < 0) {
        fprintf(stderr, "torture: %s\n", err);
        b->failed = 1;
        return;
    }
    if (id->perm >= 0 && (size_t)id->perm >= c->permutations) {
        fprintf(stderr, "torture: case %s has %zu permutations, not #%ld\n",
                c->name, c->permutations, id->perm);
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < id->ndefines; i++) {
        if (torture_define_lookup(id->defines[i].name) < 0) {
            fprintf(stderr, "torture: unknown define '%s' in id\n", id->defines[i].name);
            b->failed = 1;
            return;
        }
    }
    if (opt->schedule_given) {
        u.schedule = opt->schedule;
    }
    if (opt->seed_given) {
        u.seed = opt->seed;
    }
    size_t ngeo = opt->ngeometries ? opt->ngeometries : 1;
    size_t nfaults = opt->nfaults ? opt->nfaults : 1;
    for (size_t g = 0; g < ngeo; g++) {
        if (opt->ngeometries) {
            u.geometry = opt->geometries[g];
        }
        for (size_t k = 0; k < b->plan->ncombos; k++) {
            for (size_t f = 0; f < nfaults; f++) {
                u.combo = k;
                if (opt->nfaults) {
                    u.fault = opt->faults[f];
                    u.fault_level = TORTURE_LEVEL_CLI;
                }
                add(b, &u);
            }
        }
    }
}

static int is_glob(const char *s) {
    return strpbrk(s, "*?[") != NULL;
}

int torture_plan_build(struct torture_plan *plan, const struct torture_registry *reg,
        const struct torture_options *opt) {
    memset(plan, 0, sizeof(*plan));
    struct builder b = {.plan = plan, .opt = opt};
    plan->ncombos = 1;
    for (size_t i = 0; i < opt->noverrides; i++) {
        plan->ncombos *= opt->overrides[i].count;
    }
    size_t nids = 0;
    for (size_t i = 0; i < opt->nselectors; i++) {
        nids += torture_id_is(opt->selectors[i]) ? 1 : 0;
    }
    plan->ids = calloc(nids ? nids : 1, sizeof(*plan->ids));
    if (!plan->ids) {
        fprintf(stderr, "torture: out of memory\n");
        return -1;
    }
    /* every case selected by name or glob, in registry order; ids after */
    size_t ncases = 0;
    for (size_t s = 0; s < reg->suite_count; s++) {
        ncases += reg->suites[s]->case_count;
    }
    char *chosen = calloc(ncases ? ncases : 1, 1);
    if (!chosen) {
        fprintf(stderr, "torture: out of memory\n");
        return -1;
    }
    bool any_name = false;
    for (size_t i = 0; i < opt->nselectors; i++) {
        const char *sel = opt->selectors[i];
        if (torture_id_is(sel)) {
            continue;
        }
        any_name = true;
        bool matched = false;
        size_t idx = 0;
        for (size_t s = 0; s < reg->suite_count; s++) {
            const struct torture_suite *suite = reg->suites[s];
            bool suite_hit = is_glob(sel) ? fnmatch(sel, suite->name, 0) == 0
                    : strcmp(sel, suite->name) == 0;
            for (size_t c = 0; c < suite->case_count; c++, idx++) {
                const char *cname = suite->cases[c].name;
                bool hit = suite_hit || (is_glob(sel) ? fnmatch(sel, cname, 0) == 0
                        : strcmp(sel, cname) == 0);
                if (hit) {
                    chosen[idx] = 1;
                    matched = true;
                }
            }
        }
        if (!matched) {
            fprintf(stderr, "torture: no suite or case matches '%s' (-l lists suites, "
                    "-L cases)\n", sel);
            b.failed = 1;
        }
    }
    size_t idx = 0;
    for (size_t s = 0; s < reg->suite_count; s++) {
        for (size_t c = 0; c < reg->suites[s]->case_count; c++, idx++) {
            if (chosen[idx] || (!any_name && nids == 0)) {
                add_case(&b, &reg->suites[s]->cases[c]);
            }
        }
    }
    free(chosen);
    for (size_t i = 0; i < opt->nselectors; i++) {
        const char *sel = opt->selectors[i];
        if (!torture_id_is(sel)) {
            continue;
        }
        char err[512];
        struct torture_id *id = &plan->ids[plan->nids];
        if (torture_id_parse(sel, id, err, sizeof(err)) < 0) {
            fprintf(stderr, "torture: %s\n", err);
            b.failed = 1;
            continue;
        }
        plan->nids++;
        add_id(&b, reg, id);
    }
    return b.failed ? -1 : 0;
}

void torture_plan_free(struct torture_plan *plan) {
    for (size_t i = 0; i < plan->count; i++) {
        strset_free(&plan->units[i].done);
    }
    free(plan->units);
    free(plan->ids);
    memset(plan, 0, sizeof(*plan));
}
