/*
 * torture_registry.h - how compiled TOML cases describe themselves.
 *
 * scripts/case_compiler.py emits one struct torture_suite per .toml file
 * and a struct torture_registry listing them all with the names of every
 * define. The runner only reads these tables; nothing here is filesystem
 * specific beyond struct lfs_config, the argument of a case.
 */
#ifndef TORTURE_REGISTRY_H
#define TORTURE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lfs.h"

/* One value a define can take in a case: a constant, or a C expression
 * compiled into a function (evaluated lazily; it may read other defines). */
struct torture_value {
    const char *text;           /* as written in the .toml */
    intmax_t (*fn)(void);       /* NULL: the value is `value` */
    intmax_t value;
};

/* The values of one define within a product group. */
struct torture_define_values {
    int define;                 /* index into torture_registry.define_names */
    size_t count;
    const struct torture_value *values;
};

/* A product group: the case runs once per combination of its values. */
struct torture_group {
    size_t count;
    const struct torture_define_values *defines;
};

struct torture_case {
    const char *name;
    const char *suite;
    const char *file;           /* the .toml, as given to the compiler */
    int line;
    void (*run)(struct lfs_config *cfg);
    bool (*filter)(void);       /* the `if`s, or NULL */
    bool reentrant;
    size_t group_count;
    const struct torture_group *groups;
    size_t permutations;        /* sum over groups of the product of counts */
    const char *judge;          /* its `judge` key ("oracle", "restart"), or
                                 * NULL: the runner's */
};

struct torture_suite {
    const char *name;
    const char *file;
    size_t case_count;
    const struct torture_case *cases;
};

struct torture_registry {
    const struct torture_suite *const *suites;
    size_t suite_count;
    const char *const *define_names;    /* implicit defines first */
    size_t define_count;
};

/* The implicit defines, in the order of define_names. */
enum torture_implicit_define {
    TD_READ_SIZE, TD_PROG_SIZE, TD_ERASE_SIZE, TD_ERASE_COUNT, TD_BLOCK_SIZE,
    TD_BLOCK_COUNT, TD_CACHE_SIZE, TD_LOOKAHEAD_SIZE, TD_COMPACT_THRESH,
    TD_METADATA_MAX, TD_INLINE_MAX, TD_BLOCK_CYCLES, TD_ERASE_VALUE,
    TD_ERASE_CYCLES, TD_BADBLOCK_BEHAVIOR, TD_POWERLOSS_BEHAVIOR,
    TD_DISK_VERSION,
    TD_IMPLICIT_COUNT
};

#endif
