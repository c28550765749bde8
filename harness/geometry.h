/*
 * geometry.h - the flash geometries cases run on: the five upstream runs
 * every case on, or a custom read,prog,erase,count.
 */
#ifndef TORTURE_GEOMETRY_H
#define TORTURE_GEOMETRY_H

#include <stddef.h>
#include <stdint.h>

struct torture_geometry {
    char name[64];              /* a named geometry, or "r,p,e,c" */
    uint32_t read, prog, erase, count;
};

#define TORTURE_GEOMETRY_COUNT 5
extern const struct torture_geometry torture_geometries[TORTURE_GEOMETRY_COUNT];

/* Parses a name or "read,prog,erase,count". Returns 0, or -1 with err. */
int torture_geometry_parse(const char *s, struct torture_geometry *g,
        char *err, size_t errlen);

/* Sets READ_SIZE, PROG_SIZE, ERASE_SIZE and ERASE_COUNT at geometry level. */
void torture_geometry_apply(const struct torture_geometry *g);

#endif
