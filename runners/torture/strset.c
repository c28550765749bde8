/*
 * strset.c - string set with linear probing; grows at half full.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

static size_t hash(const char *s) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
    }
    return (size_t)h;
}

static size_t find(char *const *slots, size_t cap, const char *str) {
    size_t i = hash(str) & (cap - 1);
    while (slots[i] && strcmp(slots[i], str) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

bool strset_has(const struct strset *s, const char *str) {
    return s->cap && s->slots[find(s->slots, s->cap, str)];
}

int strset_add(struct strset *s, const char *str) {
    if (2 * (s->count + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **slots = calloc(cap, sizeof(*slots));
        if (!slots) {
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i]) {
                slots[find(slots, cap, s->slots[i])] = s->slots[i];
            }
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = find(s->slots, s->cap, str);
    if (!s->slots[i]) {
        if (!(s->slots[i] = strdup(str))) {
            return -1;
        }
        s->count++;
    }
    return 0;
}

void strset_free(struct strset *s) {
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i]);
    }
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
