/*
 * disk_in.h - the image a run starts from (build/torture --disk-in IMAGE).
 *
 * The runner opens the image once, before forking workers: its size, a
 * content hash (which ids carry, so a replay on another image is refused)
 * and, if block 0 or 1 holds a littlefs superblock, the block size and
 * count it declares. Each fresh device of a run then starts with the
 * image's contents instead of an erased flash.
 *
 * Cases written for --disk-in mount rather than format:
 *
 *     #include "disk_in.h"          (in the suite's `code`)
 *     if (!torture_disk_in()) {
 *         lfs_format(&lfs, cfg) => 0;
 *     }
 *     lfs_mount(&lfs, cfg) => 0;
 */
#ifndef TORTURE_DISK_IN_H
#define TORTURE_DISK_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bd_emu.h"

#define TORTURE_DISK_IN_HASH_LEN 12     /* hex digits of the hash in ids */

struct torture_disk_image {
    char path[1024];
    uint64_t size;                      /* bytes */
    char hash[17];                      /* of the contents, 64 bits in hex */
    bool superblock;                    /* a superblock was found: */
    uint32_t block_size, block_count;   /* as it declares them */
    uint32_t version;
};

/* Reads the image at path (hash, superblock probe) into img. Returns 0, or
 * -1 with a reason in err (unreadable, empty). */
int torture_disk_image_open(const char *path, struct torture_disk_image *img,
        char *err, size_t errlen);

/* Makes img the image every fresh device starts from (NULL: none). */
void torture_disk_in_set(const struct torture_disk_image *img);
/* The image in force, or NULL. */
const struct torture_disk_image *torture_disk_in_image(void);

/* For cases: true when the run starts from an image (do not format). */
bool torture_disk_in(void);

/* Checks that the image fits a device of `erase_count` blocks of
 * `erase_size` bytes used as littlefs blocks of `block_size` bytes and
 * `block_count` blocks (0: from the disk), then loads it into bd as synced
 * contents. Returns 0, or -1 with a reason in err. */
int torture_disk_in_load(bd_emu_t *bd, uint32_t erase_size, uint32_t erase_count,
        uint32_t block_size, uint32_t block_count, char *err, size_t errlen);

/* The id field for img: "disk=PATH@HASH", ':' and '%' in PATH escaped as
 * %3a and %25. */
void torture_disk_in_field(const struct torture_disk_image *img, char *buf, size_t len);
/* Parses an id's disk field into path and hash. Returns 0, or -1 with err. */
int torture_disk_in_parse_field(const char *field, char *path, size_t pathlen,
        char *hash, size_t hashlen, char *err, size_t errlen);

#endif
