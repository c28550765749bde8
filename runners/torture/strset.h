/*
 * strset.h - a set of strings (open addressing), for the crash points of a
 * permutation that were already reported when a worker is restarted.
 */
#ifndef TORTURE_STRSET_H
#define TORTURE_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
    char **slots;
    size_t cap, count;
};

/* Returns 0, or -1 when out of memory. */
int strset_add(struct strset *s, const char *str);
bool strset_has(const struct strset *s, const char *str);
void strset_free(struct strset *s);

#endif
