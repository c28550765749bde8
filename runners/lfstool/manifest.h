/*
 * manifest.h - the JSON manifest of a mounted image, in the schema of the
 * golden images' NAME.manifest.json (see `lfstool manifest --help`).
 */
#ifndef LFSTOOL_MANIFEST_H
#define LFSTOOL_MANIFEST_H

#include <stdio.h>

#include "image.h"

/* Writes the manifest of `img` to `out`. Returns 0, or -1 after reporting
 * a filesystem error (`out` then holds a partial manifest). */
int manifest_write(FILE *out, struct image *img);

/* Writes the manifest to the file `path` only if all of it could be made.
 * Returns 0 or -1 (reported). */
int manifest_save(struct image *img, const char *path);

#endif
