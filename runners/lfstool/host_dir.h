/*
 * host_dir.h - the host directory that unpack and salvage write into.
 */
#ifndef LFSTOOL_HOST_DIR_H
#define LFSTOOL_HOST_DIR_H

/* Creates `dir`, or accepts it if it is an existing empty directory.
 * Returns 0, or -1 (reported: exists and is not empty, or the system's
 * reason). */
int host_dir_make_empty(const char *dir);

#endif
