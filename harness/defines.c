/*
 * defines.c - the define table of the running permutation: precedence
 * levels, lazy evaluation with memoisation, cycle detection, and the
 * implicit defaults of the case format.
 *
 * Assumes one permutation per process at a time. A value expression is a
 * function compiled from the .toml; it reads other defines through
 * torture_define(), which is how references and cycles are discovered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defines.h"
#include "trap.h"
#include "torture_case.h"

enum slot_state { SLOT_IDLE, SLOT_EVALUATING, SLOT_DONE };

struct slot {
    enum torture_level level;
    const struct torture_value *value;  /* NULL: constant or default */
    intmax_t constant;
    enum slot_state state;
    intmax_t cached;
};

static const char *const *names;
static size_t count;
static struct slot *slots;
static int *eval_stack;     /* defines being evaluated, outermost first */
static size_t eval_depth;

static intmax_t max3(intmax_t a, intmax_t b, intmax_t c) {
    intmax_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* The implicit defaults; some refer to others, like any define. */
static intmax_t implicit_default(int id) {
    switch (id) {
    case TD_READ_SIZE:          return torture_define(TD_PROG_SIZE);
    case TD_PROG_SIZE:          return torture_define(TD_ERASE_SIZE);
    case TD_ERASE_SIZE:         return 512;
    case TD_ERASE_COUNT:        return 2048;
    case TD_BLOCK_SIZE:         return torture_define(TD_ERASE_SIZE);
    case TD_BLOCK_COUNT: {
        intmax_t bs = torture_define(TD_BLOCK_SIZE);
        return bs > 0 ? torture_define(TD_ERASE_COUNT) * torture_define(TD_ERASE_SIZE) / bs : 0;
    }
    case TD_CACHE_SIZE:
        return max3(64, torture_define(TD_READ_SIZE), torture_define(TD_PROG_SIZE));
    case TD_LOOKAHEAD_SIZE:     return 16;
    case TD_BLOCK_CYCLES:       return -1;
    case TD_ERASE_VALUE:        return 0xff;
    default:                    return 0;
    }
}

int torture_defines_init(const char *const *n, size_t c) {
    free(slots);
    free(eval_stack);
    names = n;
    count = c;
    slots = calloc(c ? c : 1, sizeof(*slots));
    eval_stack = calloc(c ? c : 1, sizeof(*eval_stack));
    if (!slots || !eval_stack) {
        return -1;
    }
    torture_defines_reset();
    return 0;
}

size_t torture_defines_count(void) {
    return count;
}

const char *torture_define_name(int id) {
    return id >= 0 && (size_t)id < count ? names[id] : "?";
}

int torture_define_lookup(const char *name) {
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

void torture_defines_reset(void) {
    for (size_t i = 0; i < count; i++) {
        slots[i] = (struct slot){
            .level = i < TD_IMPLICIT_COUNT ? TORTURE_LEVEL_DEFAULT : TORTURE_LEVEL_UNSET,
        };
    }
    eval_depth = 0;
}

static void set(int id, const struct torture_value *v, intmax_t c, enum torture_level level) {
    if (id < 0 || (size_t)id >= count || slots[id].level > level) {
        return;
    }
    slots[id] = (struct slot){.level = level, .value = v, .constant = c};
    /* a change can invalidate every value computed from it */
    for (size_t i = 0; i < count; i++) {
        if (slots[i].state == SLOT_DONE) {
            slots[i].state = SLOT_IDLE;
        }
    }
}

void torture_defines_set_const(int id, intmax_t value, enum torture_level level) {
    set(id, NULL, value, level);
}

void torture_defines_set_value(int id, const struct torture_value *v, enum torture_level level) {
    if (v->fn) {
        set(id, v, 0, level);
    } else {
        set(id, NULL, v->value, level);
    }
}

int torture_defines_apply_case(const struct torture_case *c, size_t perm) {
    for (size_t g = 0; g < c->group_count; g++) {
        const struct torture_group *grp = &c->groups[g];
        size_t n = 1;
        for (size_t d = 0; d < grp->count; d++) {
            n *= grp->defines[d].count;
        }
        if (perm >= n) {
            perm -= n;
            continue;
        }
        /* the last define varies fastest */
        for (size_t d = grp->count; d-- > 0;) {
            const struct torture_define_values *dv = &grp->defines[d];
            torture_defines_set_value(dv->define, &dv->values[perm % dv->count],
                    TORTURE_LEVEL_CASE);
            perm /= dv->count;
        }
        return 0;
    }
    return -1;
}

enum torture_level torture_define_level(int id) {
    return id >= 0 && (size_t)id < count ? slots[id].level : TORTURE_LEVEL_UNSET;
}

/* Evaluation that reports instead of failing: returns 0, or -1 with err. */
static int evaluate(int id, intmax_t *out, char *err, size_t errlen) {
    if (id < 0 || (size_t)id >= count) {
        snprintf(err, errlen, "define #%d does not exist", id);
        return -1;
    }
    struct slot *s = &slots[id];
    if (s->state == SLOT_DONE) {
        *out = s->cached;
        return 0;
    }
    if (s->state == SLOT_EVALUATING) {
        size_t n = 0;
        n += (size_t)snprintf(err, errlen, "define cycle: ");
        size_t from = 0;
        while (eval_stack[from] != id) {
            from++;
        }
        for (size_t i = from; i < eval_depth && n < errlen; i++) {
            n += (size_t)snprintf(err + n, errlen - n, "%s -> ", names[eval_stack[i]]);
        }
        if (n < errlen) {
            snprintf(err + n, errlen - n, "%s", names[id]);
        }
        return -1;
    }
    if (s->level == TORTURE_LEVEL_UNSET) {
        snprintf(err, errlen, "define %s is used but not defined for this permutation",
                names[id]);
        return -1;
    }
    s->state = SLOT_EVALUATING;
    eval_stack[eval_depth++] = id;
    intmax_t v;
    if (s->value) {
        v = s->value->fn();
    } else if (s->level == TORTURE_LEVEL_DEFAULT) {
        v = implicit_default(id);
    } else {
        v = s->constant;
    }
    eval_depth--;
    s->state = SLOT_DONE;
    s->cached = v;
    *out = v;
    return 0;
}

/* Called from inside value functions: an error there fails the run, after
 * putting back the defines whose evaluation the failure abandons. */
intmax_t torture_define(int id) {
    intmax_t v;
    char err[512];
    if (evaluate(id, &v, err, sizeof(err)) == 0) {
        return v;
    }
    for (size_t i = 0; i < eval_depth; i++) {
        slots[eval_stack[i]].state = SLOT_IDLE;
    }
    eval_depth = 0;
    torture_fail(NULL, 0, "%s", err);
}

struct define_call {
    int id;
    intmax_t value;
};

static void call_define(void *arg) {
    struct define_call *d = arg;
    d->value = torture_define(d->id);
}

int torture_define_try(int id, intmax_t *out, char *err, size_t errlen) {
    struct define_call d = {id, 0};
    if (torture_trap_catch(TORTURE_TRAP_FAIL, call_define, &d)) {
        snprintf(err, errlen, "%s", torture_trap_message());
        return -1;
    }
    *out = d.value;
    return 0;
}
