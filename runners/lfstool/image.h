/*
 * image.h - opening a littlefs image file for lfstool: geometry (given or
 * detected from the superblock), an in-memory emulated device holding the
 * file's bytes, and a mounted filesystem on it.
 */
#ifndef LFSTOOL_IMAGE_H
#define LFSTOOL_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "bd_emu.h"
#include "cli.h"
#include "lfs.h"

/* littlefs's smallest block size. */
#define IMAGE_MIN_BLOCK_SIZE 128

struct image {
    const char *path;           /* the image file, as given */
    uint64_t file_size;
    bool detected;              /* geometry found from the superblock */
    bd_emu_t *bd;               /* the file's bytes; the file is not kept open */
    struct lfs_config cfg;
    lfs_t lfs;
    struct lfs_fsinfo fsinfo;   /* as the mounted filesystem reports it */
};

/* Opens and mounts `path`. Reports any failure on stderr itself and
 * returns -1; on success returns 0 and the image must be closed. Reading
 * the mounted image never writes to the file. */
int image_open(struct image *img, const char *path, const struct geometry_opts *geo);
void image_close(struct image *img);

/* A blank device holding an image of this geometry (erased to 0xff,
 * strict programming). Returns NULL with bd_emu's reason in why. */
bd_emu_t *image_device(uint32_t block_size, uint32_t block_count, uint32_t read_size,
        uint32_t prog_size, char *why, size_t n);

/* Fills img->cfg for the device img->bd: its geometry, lfstool's cache
 * and lookahead sizes, no block_cycles; limits and version left 0. */
void image_configure(struct image *img);

/* The default read and prog size for a block size: 16, or the largest
 * power of two below it that divides the block size. */
uint32_t image_default_io_size(uint32_t block_size);

/* "no such file or directory", ... for a negative lfs error code. */
const char *image_strerror(int err);

/* Reports a filesystem error on a path inside the image:
 * "lfstool: IMAGE: PATH: message". */
void image_error(const struct image *img, const char *path, int err);

#endif
