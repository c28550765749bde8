/*
 * sidecar.h - reading the attribute sidecar (the manifest `lfstool unpack`
 * writes) for `lfstool pack`: geometry, disk version and each path's
 * custom attributes.
 */
#ifndef LFSTOOL_SIDECAR_H
#define LFSTOOL_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct sidecar_attr {
    uint8_t type;
    uint8_t *data;
    size_t size;
};

struct sidecar_entry {
    char *path;                 /* absolute image path, as in the manifest */
    struct sidecar_attr *attrs;
    size_t attr_count;
    bool used;                  /* pack found the path in the tree */
};

struct sidecar {
    struct geometry_opts geometry;  /* 0 where the sidecar says nothing */
    uint32_t disk_version;          /* 0 if absent */
    struct sidecar_entry *entries;  /* sorted by path */
    size_t count;
};

/* Reads and checks the sidecar at `path`. Returns 0, or -1 after
 * reporting what is wrong and where. */
int sidecar_load(struct sidecar *sc, const char *path);
void sidecar_free(struct sidecar *sc);

/* The entry for an image path, or NULL. */
struct sidecar_entry *sidecar_find(const struct sidecar *sc, const char *path);

/* DIR.manifest.json (malloc'd), or NULL when DIR's last component is not
 * a real name ("", ".", "..") or memory runs out. */
char *sidecar_default_path(const char *dir);

#endif
