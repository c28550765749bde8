/*
 * recovery.h - after a crash the filesystem must be usable again.
 *
 * On the crashed device: mount, lfs_fs_mkconsistent, create, write and
 * sync a probe file, read it back, unmount, mount again, then a
 * structural check: every block lfs_fs_traverse reports lies inside the
 * device and is reported once (a directory's pair: once through the tail
 * list, once through its entry), every directory walks without error, and
 * lfs_fs_size equals the number of distinct blocks.
 */
#ifndef TORTURE_RECOVERY_H
#define TORTURE_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include "lfs.h"

/* Called before each step of the recovery and once after the last, with
 * the step's name: where nested crash points (depth) take the durable
 * state. May be NULL. */
struct torture_recovery_steps {
    void *ctx;
    void (*boundary)(void *ctx, const char *step);
};

/* *err when the filesystem is usable and walks, but the block census is
 * off: a block outside the device or referenced twice, a pair in the tail
 * list without an entry, or lfs_fs_size disagreeing. Bit flips in file
 * data (pointers without checksum) or a per-pair rollback can cause it. */
#define TORTURE_RECOVERY_CENSUS 1

/* Runs the recovery on cfg's device. Returns true if usable; false with
 * what went wrong in msg and in *err the filesystem's error, 0 when the
 * failure is a wrong result rather than an error, or
 * TORTURE_RECOVERY_CENSUS. LFS_ERR_NOSPC from lfs_fs_mkconsistent or the
 * probe is accepted (a full disk, or a bad block in the superblock pair,
 * leaves the filesystem readable). */
bool torture_recovery_check(const struct lfs_config *cfg,
        const struct torture_recovery_steps *steps, char *msg, size_t msglen, int *err);

#endif
