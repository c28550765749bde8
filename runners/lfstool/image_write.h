/*
 * image_write.h - images lfstool writes: formatting a new one, opening an
 * existing one for editing, and saving either atomically to its file.
 */
#ifndef LFSTOOL_IMAGE_WRITE_H
#define LFSTOOL_IMAGE_WRITE_H

#include "cli.h"
#include "image.h"

/* How to format: geometry (block size and count required; read and prog
 * size 0 for the default), version and superblock limits (0: default). */
struct format_opts {
    struct geometry_opts geometry;
    uint32_t disk_version;
    uint32_t name_max, file_max, attr_max;
};

/* Formats a blank in-memory device and mounts it; nothing is written to
 * `path` until image_save. Returns 0, or -1 (reported). */
int image_create(struct image *img, const char *path, const struct format_opts *opts);

/* image_open, mounted to write the image's own on-disk version (a 2.0
 * image stays 2.0). Returns 0, or -1 (reported). */
int image_open_edit(struct image *img, const char *path, const struct geometry_opts *geo);

/* Replaces the file img->path with the device's contents atomically (see
 * image_write.c). Every file handle must be closed. Returns 0, or -1
 * (reported, the file untouched). */
int image_save(const struct image *img);

/* Copies the host file open as fd (named src in messages) to the image
 * file `path`, creating or truncating it. Returns 0, or -1 with either a
 * host error reported (*lfs_err 0) or the core's error in *lfs_err (not
 * reported). *copied gets the bytes read from fd. */
int image_copy_in(struct image *img, int fd, const char *src, const char *path,
        uint64_t *copied, int *lfs_err);

#endif
