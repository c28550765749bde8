/*
 * defines.h - the define values of the running permutation.
 *
 * Each define gets its value from the highest of five levels: command-line
 * override > the id being replayed > the case's permutation > the geometry
 * > the implicit default. Values are evaluated lazily, when first read, so
 * one may refer to others; a cycle or a define with no value fails the run
 * with a message naming the defines involved.
 */
#ifndef TORTURE_DEFINES_H
#define TORTURE_DEFINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "torture_registry.h"

enum torture_level {
    TORTURE_LEVEL_UNSET = 0,
    TORTURE_LEVEL_DEFAULT,
    TORTURE_LEVEL_GEOMETRY,
    TORTURE_LEVEL_CASE,
    TORTURE_LEVEL_ID,
    TORTURE_LEVEL_CLI,
};

/* Sets the table of define names (implicit ones first). Returns 0, or -1
 * when out of memory. */
int torture_defines_init(const char *const *names, size_t count);
size_t torture_defines_count(void);
const char *torture_define_name(int id);
int torture_define_lookup(const char *name);   /* -1: unknown */

/* Every define back to its implicit default (user defines: no value). */
void torture_defines_reset(void);
/* Sets define `id` at `level` unless a higher level already set it. */
void torture_defines_set_const(int id, intmax_t value, enum torture_level level);
void torture_defines_set_value(int id, const struct torture_value *v, enum torture_level level);
/* Sets the values of permutation `perm` of `c` at TORTURE_LEVEL_CASE.
 * Returns -1 if perm is out of range. */
int torture_defines_apply_case(const struct torture_case *c, size_t perm);

enum torture_level torture_define_level(int id);

/* Evaluates define `id` now; on failure (cycle, no value) writes the
 * reason into err and returns -1 instead of failing the run. */
int torture_define_try(int id, intmax_t *out, char *err, size_t errlen);

#endif
