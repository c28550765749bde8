/*
 * fsck_run.h - `lfstool fsck` on a failure's saved image, for the report.
 */
#ifndef TORTURE_FSCK_RUN_H
#define TORTURE_FSCK_RUN_H

#include <stddef.h>

/* The lfstool to run: $TORTURE_LFSTOOL if set, else `lfstool` beside this
 * program (/proc/self/exe), else NULL (no lfstool). */
const char *torture_lfstool_path(void);

/* Runs `LFSTOOL fsck IMAGE` (at most `seconds`), writes its whole output to
 * `save` if not NULL, and a summary into out: "status N (meaning)\n" and
 * the first findings; or one line saying why it did not run. */
void torture_fsck_image(const char *lfstool, const char *image, const char *save,
        unsigned seconds, char *out, size_t outlen);

#endif
