/*
 * device.h - the device a case runs on: a bd_emu behind the lfs_config the
 * case receives, with the harness's own read/prog/erase/sync in between.
 *
 * The wrappers map littlefs blocks (BLOCK_SIZE) onto erase blocks
 * (ERASE_SIZE, which must divide BLOCK_SIZE), count every device write op
 * (prog, erase, sync) and call an optional hook before issuing each one.
 * The power-loss schedules work through that hook.
 */
#ifndef TORTURE_DEVICE_H
#define TORTURE_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include "lfs.h"
#include "bd_emu.h"

/* One device write op, as issued to bd_emu. */
struct torture_op {
    enum bd_emu_op kind;        /* PROG, ERASE or SYNC */
    uint32_t block, off, size;  /* erase-block coordinates */
    const void *data;           /* prog only */
    uint64_t index;             /* 1-based, among this device's write ops */
};

struct torture_dev;
typedef void (*torture_write_hook)(void *ctx, struct torture_dev *dev,
        const struct torture_op *op);

struct torture_dev {
    struct lfs_config cfg;      /* context = this */
    bd_emu_t *bd;
    uint32_t erase_size;
    uint32_t per_block;         /* erase blocks per littlefs block */
    uint64_t writes;            /* write ops issued through this device */
    torture_write_hook hook;
    void *hook_ctx;
};

/* The configurations the current defines describe. Returns 0, or -1 with a
 * reason in err (a value out of range, BLOCK_SIZE not a multiple of
 * ERASE_SIZE, more blocks than the device has, ...). */
int torture_dev_config(struct bd_emu_config *bdcfg, struct lfs_config *cfg,
        uint64_t seed, char *err, size_t errlen);

/* Wraps `bd` (the device takes ownership) with a copy of cfg. */
void torture_dev_wrap(struct torture_dev *dev, const struct lfs_config *cfg, bd_emu_t *bd);
/* Called at the end of every torture_dev_wrap when set (the runner's
 * policy for fresh devices: --disk-in, --trace). */
extern void (*torture_dev_wrap_hook)(struct torture_dev *dev);
/* Destroys the bd_emu. */
void torture_dev_close(struct torture_dev *dev);

/* Issues op on bd as a plain (uncut) write. */
int torture_op_issue(bd_emu_t *bd, const struct torture_op *op);

#endif
