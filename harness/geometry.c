/*
 * geometry.c - named geometries (upstream's five) and custom ones.
 * A custom geometry is checked only for being four positive integers; the
 * device refuses inconsistent ones when a permutation is set up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geometry.h"
#include "defines.h"

const struct torture_geometry torture_geometries[TORTURE_GEOMETRY_COUNT] = {
    {"default",   16,   16,   512, 2048},
    {"eeprom",     1,    1,   512, 2048},
    {"emmc",     512,  512,   512, 2048},
    {"nor",        1,    1,  4096,  256},
    {"nand",    4096, 4096, 32768,   32},
};

int torture_geometry_parse(const char *s, struct torture_geometry *g,
        char *err, size_t errlen) {
    for (size_t i = 0; i < TORTURE_GEOMETRY_COUNT; i++) {
        if (strcmp(s, torture_geometries[i].name) == 0) {
            *g = torture_geometries[i];
            return 0;
        }
    }
    uint32_t v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(p, &end, 0);
        if (end == p || errno || x == 0 || x > UINT32_MAX || *p == '-'
                || (i < 3 ? *end != ',' : *end != '\0')) {
            snprintf(err, errlen, "unknown geometry '%s' (use default, eeprom, emmc, "
                    "nor, nand, or read,prog,erase,count with positive integers)", s);
            return -1;
        }
        v[i] = (uint32_t)x;
        p = end + 1;
    }
    snprintf(g->name, sizeof(g->name), "%u,%u,%u,%u", v[0], v[1], v[2], v[3]);
    g->read = v[0];
    g->prog = v[1];
    g->erase = v[2];
    g->count = v[3];
    return 0;
}

void torture_geometry_apply(const struct torture_geometry *g) {
    torture_defines_set_const(TD_READ_SIZE, g->read, TORTURE_LEVEL_GEOMETRY);
    torture_defines_set_const(TD_PROG_SIZE, g->prog, TORTURE_LEVEL_GEOMETRY);
    torture_defines_set_const(TD_ERASE_SIZE, g->erase, TORTURE_LEVEL_GEOMETRY);
    torture_defines_set_const(TD_ERASE_COUNT, g->count, TORTURE_LEVEL_GEOMETRY);
}
