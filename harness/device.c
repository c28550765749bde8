/*
 * device.c - builds the bd_emu and the lfs_config from the current
 * defines, and implements the lfs_config callbacks that count write ops and
 * call the schedule's hook before each.
 *
 * Assumes defines have been set up for the permutation (defines.c). Uses
 * only littlefs's public lfs_config; nothing of any core's internals.
 */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "defines.h"
#include "torture_case.h"

static int get(int id, intmax_t *v, char *err, size_t errlen) {
    return torture_define_try(id, v, err, errlen);
}

static int u32(int id, intmax_t v, bool positive, uint32_t *out, char *err, size_t errlen) {
    if (v < (positive ? 1 : 0) || v > (intmax_t)UINT32_MAX) {
        snprintf(err, errlen, "%s = %jd is out of range", torture_define_name(id), v);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int torture_dev_config(struct bd_emu_config *bdcfg, struct lfs_config *cfg,
        uint64_t seed, char *err, size_t errlen) {
    intmax_t v[TD_IMPLICIT_COUNT];
    for (int i = 0; i < TD_IMPLICIT_COUNT; i++) {
        if (get(i, &v[i], err, errlen) < 0) {
            return -1;
        }
    }
    uint32_t read, prog, esize, ecount, bsize, bcount, cache, look;
    if (u32(TD_READ_SIZE, v[TD_READ_SIZE], true, &read, err, errlen)
            || u32(TD_PROG_SIZE, v[TD_PROG_SIZE], true, &prog, err, errlen)
            || u32(TD_ERASE_SIZE, v[TD_ERASE_SIZE], true, &esize, err, errlen)
            || u32(TD_ERASE_COUNT, v[TD_ERASE_COUNT], true, &ecount, err, errlen)
            || u32(TD_BLOCK_SIZE, v[TD_BLOCK_SIZE], true, &bsize, err, errlen)
            || u32(TD_BLOCK_COUNT, v[TD_BLOCK_COUNT], false, &bcount, err, errlen)
            || u32(TD_CACHE_SIZE, v[TD_CACHE_SIZE], true, &cache, err, errlen)
            || u32(TD_LOOKAHEAD_SIZE, v[TD_LOOKAHEAD_SIZE], true, &look, err, errlen)) {
        return -1;
    }
    uint32_t compact, mmax, imax, cycles;
    if (u32(TD_COMPACT_THRESH, v[TD_COMPACT_THRESH] == -1 ? UINT32_MAX : v[TD_COMPACT_THRESH],
                false, &compact, err, errlen)
            || u32(TD_METADATA_MAX, v[TD_METADATA_MAX], false, &mmax, err, errlen)
            || u32(TD_INLINE_MAX, v[TD_INLINE_MAX] == -1 ? UINT32_MAX : v[TD_INLINE_MAX],
                false, &imax, err, errlen)
            || u32(TD_ERASE_CYCLES, v[TD_ERASE_CYCLES], false, &cycles, err, errlen)) {
        return -1;
    }
    if (bsize % esize != 0) {
        snprintf(err, errlen, "BLOCK_SIZE %u is not a multiple of ERASE_SIZE %u", bsize, esize);
        return -1;
    }
    if ((uint64_t)bcount * (bsize / esize) > ecount) {
        snprintf(err, errlen, "BLOCK_COUNT %u blocks of %u bytes do not fit in "
                "ERASE_COUNT %u blocks of %u bytes", bcount, bsize, ecount, esize);
        return -1;
    }
    if (v[TD_BLOCK_CYCLES] < INT32_MIN || v[TD_BLOCK_CYCLES] > INT32_MAX) {
        snprintf(err, errlen, "BLOCK_CYCLES = %jd is out of range", v[TD_BLOCK_CYCLES]);
        return -1;
    }
    intmax_t ev = v[TD_ERASE_VALUE];
    if (ev != 0xff && ev != 0x00 && ev != BD_EMU_ERASE_NONE) {
        snprintf(err, errlen, "ERASE_VALUE = %jd: use 0xff, 0x00 or -1 (unpredictable)", ev);
        return -1;
    }
    if (v[TD_BADBLOCK_BEHAVIOR] < 0 || v[TD_BADBLOCK_BEHAVIOR] > BD_EMU_BAD_PROG_FLIP) {
        snprintf(err, errlen, "BADBLOCK_BEHAVIOR = %jd is not a bd_emu_bad_behavior",
                v[TD_BADBLOCK_BEHAVIOR]);
        return -1;
    }
    if (v[TD_POWERLOSS_BEHAVIOR] < 0 || v[TD_POWERLOSS_BEHAVIOR] >= BD_EMU_FAULT_COUNT) {
        snprintf(err, errlen, "POWERLOSS_BEHAVIOR = %jd is not a fault model",
                v[TD_POWERLOSS_BEHAVIOR]);
        return -1;
    }
    if (v[TD_DISK_VERSION] < 0 || v[TD_DISK_VERSION] > (intmax_t)UINT32_MAX) {
        snprintf(err, errlen, "DISK_VERSION = %jd is out of range", v[TD_DISK_VERSION]);
        return -1;
    }

    *bdcfg = (struct bd_emu_config){
        .read_size = read,
        .prog_size = prog,
        .block_size = esize,
        .block_count = ecount,
        .erase_value = (int)ev,
        .prog_mode = BD_EMU_PROG_STRICT,
        .erase_cycles = cycles,
        .bad_behavior = (enum bd_emu_bad_behavior)v[TD_BADBLOCK_BEHAVIOR],
        .seed = seed,
    };
    memset(cfg, 0, sizeof(*cfg));
    cfg->read_size = read;
    cfg->prog_size = prog;
    cfg->block_size = bsize;
    cfg->block_count = bcount;
    cfg->block_cycles = (int32_t)v[TD_BLOCK_CYCLES];
    cfg->cache_size = cache;
    cfg->lookahead_size = look;
    cfg->compact_thresh = compact;
    cfg->metadata_max = mmax;
    cfg->inline_max = imax;
#ifdef LFS_MULTIVERSION
    cfg->disk_version = (uint32_t)v[TD_DISK_VERSION];
#endif
    return 0;
}

/* ---- the callbacks --------------------------------------------------------- */

static struct torture_dev *dev_of(const struct lfs_config *c) {
    return c->context;
}

/* Checks a littlefs-level range; returns the first erase block. */
/* Range checks use the device's geometry fixed at wrap time, never d->cfg:
 * a case may change its lfs_config (block_count = 0 lets the core read it
 * from disk). */
static int locate(const struct torture_dev *d, lfs_block_t block, lfs_off_t off,
        lfs_size_t size, uint32_t *eblock) {
    uint32_t bsize = d->per_block * d->erase_size;
    uint32_t bcount = bd_emu_geometry(d->bd)->block_count / d->per_block;
    if (block >= bcount || off > bsize || size > bsize - off) {
        return LFS_ERR_INVAL;
    }
    *eblock = block * d->per_block + off / d->erase_size;
    return 0;
}

static int dev_read(const struct lfs_config *c, lfs_block_t block, lfs_off_t off,
        void *buffer, lfs_size_t size) {
    struct torture_dev *d = dev_of(c);
    uint32_t eb;
    int err = locate(d, block, off, size, &eb);
    uint8_t *p = buffer;
    uint32_t eoff = off % d->erase_size;
    while (!err && size) {
        uint32_t n = d->erase_size - eoff < size ? d->erase_size - eoff : size;
        err = bd_emu_dev_read(d->bd, eb, eoff, p, n);
        p += n;
        size -= n;
        eb++;
        eoff = 0;
    }
    return err;
}

static int write_op(struct torture_dev *d, enum bd_emu_op kind, uint32_t block,
        uint32_t off, const void *data, uint32_t size) {
    struct torture_op op = {kind, block, off, size, data, ++d->writes};
    if (d->hook) {
        d->hook(d->hook_ctx, d, &op);
    }
    return torture_op_issue(d->bd, &op);
}

static int dev_prog(const struct lfs_config *c, lfs_block_t block, lfs_off_t off,
        const void *buffer, lfs_size_t size) {
    struct torture_dev *d = dev_of(c);
    uint32_t eb;
    int err = locate(d, block, off, size, &eb);
    const uint8_t *p = buffer;
    uint32_t eoff = off % d->erase_size;
    while (!err && size) {
        uint32_t n = d->erase_size - eoff < size ? d->erase_size - eoff : size;
        err = write_op(d, BD_EMU_OP_PROG, eb, eoff, p, n);
        p += n;
        size -= n;
        eb++;
        eoff = 0;
    }
    return err;
}

static int dev_erase(const struct lfs_config *c, lfs_block_t block) {
    struct torture_dev *d = dev_of(c);
    uint32_t eb;
    int err = locate(d, block, 0, 0, &eb);
    for (uint32_t i = 0; !err && i < d->per_block; i++) {
        err = write_op(d, BD_EMU_OP_ERASE, eb + i, 0, NULL, d->erase_size);
    }
    return err;
}

static int dev_sync(const struct lfs_config *c) {
    return write_op(dev_of(c), BD_EMU_OP_SYNC, 0, 0, NULL, 0);
}

void (*torture_dev_wrap_hook)(struct torture_dev *dev);

void torture_dev_wrap(struct torture_dev *dev, const struct lfs_config *cfg, bd_emu_t *bd) {
    memset(dev, 0, sizeof(*dev));
    dev->cfg = *cfg;
    dev->cfg.context = dev;
    dev->cfg.read = dev_read;
    dev->cfg.prog = dev_prog;
    dev->cfg.erase = dev_erase;
    dev->cfg.sync = dev_sync;
    dev->bd = bd;
    dev->erase_size = bd_emu_geometry(bd)->block_size;
    dev->per_block = cfg->block_size / dev->erase_size;
    if (torture_dev_wrap_hook) {
        torture_dev_wrap_hook(dev);
    }
}

void torture_dev_close(struct torture_dev *dev) {
    bd_emu_destroy(dev->bd);
    dev->bd = NULL;
}

int torture_op_issue(bd_emu_t *bd, const struct torture_op *op) {
    switch (op->kind) {
    case BD_EMU_OP_PROG:  return bd_emu_dev_prog(bd, op->block, op->off, op->data, op->size);
    case BD_EMU_OP_ERASE: return bd_emu_dev_erase(bd, op->block);
    case BD_EMU_OP_SYNC:  return bd_emu_dev_sync(bd);
    default:              return LFS_ERR_INVAL;
    }
}

bd_emu_t *torture_bd(const struct lfs_config *cfg) {
    return dev_of(cfg)->bd;
}
