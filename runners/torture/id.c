/*
 * id.c - parses ids (see id.h for the format). Ids are printed by the
 * worker (worker.c), which knows the evaluated defines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk_in.h"
#include "id.h"

int torture_id_is(const char *s) {
    return strchr(s, ':') != NULL;
}

static int parse_defines(char *field, struct torture_id *id, char *err, size_t errlen) {
    if (strcmp(field, "-") == 0) {
        return 0;
    }
    for (char *item = strtok(field, ","); item; item = strtok(NULL, ",")) {
        char *end;
        if (item[0] == '#') {
            errno = 0;
            long p = strtol(item + 1, &end, 10);
            if (errno || end == item + 1 || *end || p < 0) {
                snprintf(err, errlen, "bad permutation '%s' in id", item);
                return -1;
            }
            id->perm = p;
            continue;
        }
        char *eq = strchr(item, '=');
        if (!eq || eq == item || (size_t)(eq - item) >= sizeof(id->defines[0].name)) {
            snprintf(err, errlen, "bad define '%s' in id (NAME=VALUE)", item);
            return -1;
        }
        if (id->ndefines == TORTURE_ID_DEFINES) {
            snprintf(err, errlen, "too many defines in id (at most %d)", TORTURE_ID_DEFINES);
            return -1;
        }
        struct torture_id_define *d = &id->defines[id->ndefines++];
        memcpy(d->name, item, (size_t)(eq - item));
        d->name[eq - item] = '\0';
        errno = 0;
        d->value = strtoimax(eq + 1, &end, 0);
        if (errno || end == eq + 1 || *end) {
            snprintf(err, errlen, "bad value in '%s' (an integer)", item);
            return -1;
        }
    }
    return 0;
}

int torture_id_parse(const char *s, struct torture_id *id, char *err, size_t errlen) {
    memset(id, 0, sizeof(*id));
    id->perm = -1;
    if (strlen(s) >= TORTURE_ID_MAX) {
        snprintf(err, errlen, "id too long");
        return -1;
    }
    char buf[TORTURE_ID_MAX];
    strcpy(buf, s);
    char *fields[7];
    int n = 0;
    for (char *p = buf; p; n++) {
        char *colon = strchr(p, ':');
        if (n < 7) {
            fields[n] = p;
        }
        if (colon) {
            *colon = '\0';
        }
        p = colon ? colon + 1 : NULL;
    }
    if (n != 6 && (n != 7 || strncmp(fields[6], "disk=", 5) != 0)) {
        snprintf(err, errlen, "'%s' is not an id: expected "
                "CASE:GEOMETRY:DEFINES:SCHEDULE:FAULT:seed=SEED[:disk=PATH@HASH]", s);
        return -1;
    }
    if (n == 7) {
        if (torture_disk_in_parse_field(fields[6], id->disk_path, sizeof(id->disk_path),
                id->disk_hash, sizeof(id->disk_hash), err, errlen) < 0) {
            return -1;
        }
        id->has_disk = true;
    }
    if (!fields[0][0] || strlen(fields[0]) >= sizeof(id->case_name)) {
        snprintf(err, errlen, "bad case name in id '%s'", s);
        return -1;
    }
    strcpy(id->case_name, fields[0]);
    if (!fields[1][0] || strlen(fields[1]) >= sizeof(id->geometry)) {
        snprintf(err, errlen, "bad geometry in id '%s'", s);
        return -1;
    }
    strcpy(id->geometry, fields[1]);
    if (parse_defines(fields[2], id, err, errlen) < 0
            || torture_schedule_parse_id(fields[3], &id->schedule, err, errlen) < 0) {
        return -1;
    }
    if (strcmp(fields[4], "-") == 0) {
        id->fault = -1;
    } else if ((id->fault = torture_fault_parse(fields[4])) < 0) {
        snprintf(err, errlen, "unknown fault model '%s' in id", fields[4]);
        return -1;
    }
    char *end;
    errno = 0;
    if (strncmp(fields[5], "seed=", 5) != 0 || fields[5][5] < '0' || fields[5][5] > '9'
            || ((void)(id->seed = strtoull(fields[5] + 5, &end, 0)), errno) || *end) {
        snprintf(err, errlen, "bad seed '%s' in id (seed=N)", fields[5]);
        return -1;
    }
    return 0;
}
