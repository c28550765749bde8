/*
 * id.h - the one-token name of a permutation or a crash point.
 *
 *   CASE:GEOMETRY:DEFINES:SCHEDULE:FAULT:seed=SEED
 *
 * e.g. `append_log:nor:N=40:every=37:torn-bits:seed=1`.
 *   CASE      the case name (unique across suites)
 *   GEOMETRY  default, eeprom, emmc, nor, nand, or read,prog,erase,count
 *   DEFINES   NAME=VALUE,... : every define the case's permutation sets and
 *             every -D override, evaluated; `-` when there are none. `#P`
 *             (permutation P of the case) stands in when the values could
 *             not be evaluated.
 *   SCHEDULE  none | every=K[.J...] | linear | log | cuts=A.B...
 *   FAULT     atomic, torn-prefix, torn-bits, metastable, partial-erase,
 *             ooo; `-` for "as the case's POWERLOSS_BEHAVIOR says"
 *   SEED      the device's seed
 *   :disk=PATH@HASH  (runs from --disk-in) the image and a hash of its
 *             contents; ':' and '%' in PATH are written %3a and %25
 * Passing the id to build/torture runs exactly that again.
 */
#ifndef TORTURE_ID_H
#define TORTURE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "schedule.h"

#define TORTURE_ID_MAX 2048
#define TORTURE_ID_DEFINES 64

struct torture_id_define {
    char name[64];
    intmax_t value;
};

struct torture_id {
    char case_name[256];
    char geometry[64];
    long perm;                  /* -1 unless `#P` */
    size_t ndefines;
    struct torture_id_define defines[TORTURE_ID_DEFINES];
    struct torture_schedule schedule;
    int fault;                  /* -1 for `-` */
    uint64_t seed;
    bool has_disk;              /* the run started from an image: */
    char disk_path[1024];
    char disk_hash[16];
};

/* True if s looks like an id (has a ':'). */
int torture_id_is(const char *s);
/* Parses an id. Returns 0, or -1 with a reason in err. */
int torture_id_parse(const char *s, struct torture_id *id, char *err, size_t errlen);

#endif
