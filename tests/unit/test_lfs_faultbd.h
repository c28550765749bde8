/*
 * test_lfs_faultbd.h - a read callback for a bd_emu device that fails on
 * demand (header only: each test is its own program). flaky_read counts
 * every read in reads_seen and fails the read_fail_at-th, and the
 * read_fail_again-th, once each with LFS_ERR_IO (0: never); the test zeroes
 * reads_seen and sets them before the operation it sweeps. Assumes
 * cfg.context is a bd_emu_t (test_lfs_write_util.h).
 */
#ifndef TEST_LFS_FAULTBD_H
#define TEST_LFS_FAULTBD_H

#include "lfs.h"
#include "bd_emu.h"

static unsigned long reads_seen;
static unsigned long read_fail_at;      /* 0: never */
static unsigned long read_fail_again;   /* 0: never */

static inline int flaky_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size) {
    reads_seen += 1;
    if (reads_seen == read_fail_at || reads_seen == read_fail_again) {
        return LFS_ERR_IO;
    }
    return bd_emu_read(c, block, off, buffer, size);
}

#endif
