/*
 * device.c - the device itself: configuration checks, creation and
 * destruction, the read/prog/erase/sync operations with their counters,
 * and the helpers every other part uses to change contents while keeping the
 * content hash and the unsynced-write record exact.
 *
 * Assumes single-threaded use.  An operation is validated, then counted, then
 * performed; a power cut replaces "performed" with the fault model
 * (fault.c) and calls the user's callback last, after all state is
 * consistent and no temporary memory is held, because the callback may
 * longjmp.
 */
#include "bd_emu_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int check_config(const struct bd_emu_config *cfg, char *err, size_t errlen)
{
    if (!cfg) {
        return refuse(err, errlen, "bd_emu: no configuration given");
    }
    if (cfg->read_size == 0 || cfg->prog_size == 0 || cfg->block_size == 0) {
        return refuse(err, errlen, "bd_emu: read_size, prog_size and block_size must be "
                "nonzero (got %" PRIu32 ", %" PRIu32 ", %" PRIu32 ")",
                cfg->read_size, cfg->prog_size, cfg->block_size);
    }
    if (cfg->block_count == 0) {
        return refuse(err, errlen, "bd_emu: block_count must be nonzero");
    }
    if (cfg->block_size % cfg->read_size != 0) {
        return refuse(err, errlen, "bd_emu: block_size %" PRIu32 " is not a multiple of read_size %" PRIu32,
                cfg->block_size, cfg->read_size);
    }
    if (cfg->block_size % cfg->prog_size != 0) {
        return refuse(err, errlen, "bd_emu: block_size %" PRIu32 " is not a multiple of prog_size %" PRIu32,
                cfg->block_size, cfg->prog_size);
    }
    if (cfg->erase_value != 0xff && cfg->erase_value != 0x00
            && cfg->erase_value != BD_EMU_ERASE_NONE) {
        return refuse(err, errlen, "bd_emu: erase_value must be 0xff, 0x00 or "
                "BD_EMU_ERASE_NONE (got %d)", cfg->erase_value);
    }
    if ((unsigned)cfg->prog_mode > BD_EMU_PROG_MASK) {
        return refuse(err, errlen, "bd_emu: unknown prog_mode %d", (int)cfg->prog_mode);
    }
    if ((unsigned)cfg->bad_behavior > BD_EMU_BAD_PROG_FLIP) {
        return refuse(err, errlen, "bd_emu: unknown bad_behavior %d",
                (int)cfg->bad_behavior);
    }
    return 0;
}

bd_emu_t *bde_device_new(struct bde_pool *pool, struct bde_node *root, uint64_t hash)
{
    bd_emu_t *bd = calloc(1, sizeof *bd);
    if (!bd) {
        return NULL;
    }
    bd->cfg = pool->cfg;
    bd->scratch = malloc(3 * (size_t)pool->cfg.block_size);
    if (!bd->scratch || bde_stats_init(&bd->stats, pool->cfg.block_count) < 0) {
        bde_stats_free(&bd->stats);
        free(bd->scratch);
        free(bd);
        return NULL;
    }
    bde_pool_ref(pool);
    bd->pool = pool;
    bd->root = bde_node_ref(root);
    bd->sync_base = bde_node_ref(root);
    bd->hash = hash;
    bd->epoch = 1;
    bd->prng = bde_prng_seed(pool->cfg.seed);
    bd->powered = 1;
    return bd;
}

bd_emu_t *bd_emu_create(const struct bd_emu_config *cfg, char *err, size_t errlen)
{
    if (check_config(cfg, err, errlen) < 0) {
        return NULL;
    }
    struct bde_pool *pool = bde_pool_new(cfg);
    bd_emu_t *bd = pool ? bde_device_new(pool, NULL, 0) : NULL;
    bde_pool_unref(pool);
    if (!bd) {
        refuse(err, errlen, "bd_emu: out of memory creating a device with "
                "block_size %" PRIu32 " (3 blocks of scratch needed)", cfg->block_size);
    }
    return bd;
}

void bd_emu_destroy(bd_emu_t *bd)
{
    if (!bd) {
        return;
    }
    bde_node_release(bd->pool, bd->root);
    bde_node_release(bd->pool, bd->sync_base);
    bde_pool_unref(bd->pool);
    bde_stats_free(&bd->stats);
    free(bd->dirty);
    free(bd->scratch);
    free(bd);
}

const struct bd_emu_config *bd_emu_geometry(const bd_emu_t *bd)
{
    return &bd->cfg;
}

/* ---- content changes that keep the hash and the unsynced record exact ---- */

int bde_write_range(bd_emu_t *bd, uint32_t block, uint32_t off,
        const uint8_t *src, uint32_t size, const uint8_t *unstable)
{
    struct bde_block *blk = bde_store_writable(bd->pool, &bd->root, block);
    if (!blk || (unstable && bde_block_add_unstable(bd->pool, blk) < 0)) {
        return LFS_ERR_NOMEM;
    }
    uint32_t w0 = off / 8, w1 = (uint32_t)(((uint64_t)off + size + 7) / 8);
    uint64_t before = bde_hash_words(bd->pool, block, blk->data, w0, w1);
    if (blk->unstable) {
        before += bde_hash_unstable(bd->pool, block, blk->unstable, w0, w1);
    }
    memcpy(blk->data + off, src, size);
    if (unstable) {
        for (uint32_t i = 0; i < size; i++) {
            blk->unstable[off + i] |= unstable[i];
        }
    }
    uint64_t after = bde_hash_words(bd->pool, block, blk->data, w0, w1);
    if (blk->unstable) {
        after += bde_hash_unstable(bd->pool, block, blk->unstable, w0, w1);
    }
    bd->hash += after - before;
    return 0;
}

int bde_set_block(bd_emu_t *bd, uint32_t block, struct bde_block *blk)
{
    uint64_t before = bde_hash_block(bd->pool, block,
            bde_store_lookup(bd->pool, bd->root, block));
    uint64_t after = bde_hash_block(bd->pool, block, blk);
    int rc = bde_store_set(bd->pool, &bd->root, block, blk);
    if (rc == 0) {
        bd->hash += after - before;
    }
    return rc;
}

int bde_mark_dirty(bd_emu_t *bd, uint32_t block)
{
    struct bde_stat *st = bde_stats_get(&bd->stats, block);
    if (!st) {
        return LFS_ERR_NOMEM;
    }
    if (st->dirty_epoch == bd->epoch) {
        return 0;
    }
    if (bd->ndirty == bd->dirty_cap) {
        size_t cap = bd->dirty_cap ? 2 * bd->dirty_cap : 64;
        uint32_t *dirty = realloc(bd->dirty, cap * sizeof *dirty);
        if (!dirty) {
            return LFS_ERR_NOMEM;
        }
        bd->dirty = dirty;
        bd->dirty_cap = cap;
    }
    bd->dirty[bd->ndirty++] = block;
    st->dirty_epoch = bd->epoch;
    return 0;
}

int bde_settle(bd_emu_t *bd)
{
    bde_node_release(bd->pool, bd->sync_base);
    bd->sync_base = bde_node_ref(bd->root);
    bd->ndirty = 0;
    if (++bd->epoch == 0) {
        bde_stats_clear_epochs(&bd->stats);
        bd->epoch = 1;
    }
    return 0;
}

/* ---- performing operations ------------------------------------------------ */

/* What a complete prog of data onto old stores, per the prog mode. */
static void prog_result(const bd_emu_t *bd, const uint8_t *old, const uint8_t *data,
        uint8_t *out, uint32_t size)
{
    if (bd->cfg.erase_value == BD_EMU_ERASE_NONE || bd->cfg.prog_mode == BD_EMU_PROG_STRICT) {
        memcpy(out, data, size);
    } else if (bd->cfg.erase_value == 0xff) {
        for (uint32_t i = 0; i < size; i++) {
            out[i] = old[i] & data[i];
        }
    } else {
        for (uint32_t i = 0; i < size; i++) {
            out[i] = old[i] | data[i];
        }
    }
}

static int is_violation(const bd_emu_t *bd, const uint8_t *old, uint32_t size)
{
    if (bd->cfg.prog_mode != BD_EMU_PROG_STRICT || bd->cfg.erase_value == BD_EMU_ERASE_NONE) {
        return 0;
    }
    uint8_t erased = (uint8_t)bd->cfg.erase_value;
    for (uint32_t i = 0; i < size; i++) {
        if (old[i] != erased) {
            return 1;
        }
    }
    return 0;
}

/* The result of an op on a bad block that changes nothing; a cut there can
 * still lose unsynced writes. */
static int unchanged(bd_emu_t *bd, int fault, int rc)
{
    if (fault == BD_EMU_FAULT_OUT_OF_ORDER) {
        int err = bde_fault_out_of_order(bd);
        if (err < 0) {
            return err;
        }
    }
    return rc;
}

static int perform_prog(bd_emu_t *bd, uint32_t block, uint32_t off,
        const uint8_t *data, uint32_t size, int fault, int count)
{
    uint32_t bs = bd->cfg.block_size;
    uint8_t *old = bd->scratch, *new = bd->scratch + bs, *mask = bd->scratch + 2 * (size_t)bs;
    bde_store_read(bd->pool, bd->root, block, off, size, old);
    if (count && is_violation(bd, old, size)) {
        bd->counters.prog_violations++;
    }

    int bad = bde_is_bad(bd, block);
    enum bd_emu_bad_behavior beh = bd->cfg.bad_behavior;
    if (bad && beh == BD_EMU_BAD_PROG_ERROR) {
        return unchanged(bd, fault, LFS_ERR_CORRUPT);
    }
    if (bad && beh == BD_EMU_BAD_PROG_NOOP) {
        return unchanged(bd, fault, 0);
    }
    prog_result(bd, old, data, new, size);
    if (bad && beh == BD_EMU_BAD_PROG_FLIP) {
        bde_prog_flip(bd, old, new, size);
    }
    if (fault != BDE_NO_FAULT) {
        return bde_fault_write(bd, BD_EMU_OP_PROG, (enum bd_emu_fault)fault,
                block, off, size, old, new, mask);
    }
    int rc = bde_write_range(bd, block, off, new, size, NULL);
    return rc < 0 ? rc : bde_mark_dirty(bd, block);
}

static int perform_erase(bd_emu_t *bd, uint32_t block, int fault, int count)
{
    uint32_t bs = bd->cfg.block_size;
    int bad = bde_is_bad(bd, block);
    enum bd_emu_bad_behavior beh = bd->cfg.bad_behavior;
    if (bad && beh == BD_EMU_BAD_ERASE_ERROR) {
        return unchanged(bd, fault, LFS_ERR_CORRUPT);
    }
    if (bad && beh == BD_EMU_BAD_ERASE_NOOP) {
        return unchanged(bd, fault, 0);
    }
    if (fault == BD_EMU_FAULT_ATOMIC) {
        return 0;
    }
    if (fault == BD_EMU_FAULT_OUT_OF_ORDER) {
        return bde_fault_out_of_order(bd);
    }

    /* the erase reaches the array: a good block wears */
    if (count && !bad) {
        struct bde_stat *st = bde_stats_get(&bd->stats, block);
        if (!st) {
            return LFS_ERR_NOMEM;
        }
        st->wear++;
    }

    int none = bd->cfg.erase_value == BD_EMU_ERASE_NONE;
    if (fault != BDE_NO_FAULT) {
        uint8_t *old = bd->scratch, *new = bd->scratch + bs, *mask = bd->scratch + 2 * (size_t)bs;
        bde_store_read(bd->pool, bd->root, block, 0, bs, old);
        if (none) {
            bde_prng_bytes(&bd->prng, new, bs);
        } else {
            memset(new, bd->cfg.erase_value, bs);
        }
        return bde_fault_write(bd, BD_EMU_OP_ERASE, (enum bd_emu_fault)fault,
                block, 0, bs, old, new, mask);
    }

    struct bde_block *blk = NULL;
    if (none) {
        blk = bde_block_new(bd->pool);
        if (!blk) {
            return LFS_ERR_NOMEM;
        }
        bde_prng_bytes(&bd->prng, blk->data, bs);
    }
    int rc = bde_set_block(bd, block, blk);
    return rc < 0 ? rc : bde_mark_dirty(bd, block);
}

int bde_perform(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t off,
        const void *buffer, uint32_t size, int fault, int count)
{
    switch (op) {
    case BD_EMU_OP_PROG:
        return perform_prog(bd, block, off, buffer, size, fault, count);
    case BD_EMU_OP_ERASE:
        return perform_erase(bd, block, fault, count);
    case BD_EMU_OP_SYNC:
        if (fault == BDE_NO_FAULT) {
            return bde_settle(bd);
        }
        /* a cut sync did not complete: only out-of-order loses anything */
        return fault == BD_EMU_FAULT_OUT_OF_ORDER ? bde_fault_out_of_order(bd) : 0;
    default:
        return LFS_ERR_INVAL;
    }
}

/* ---- the operations -------------------------------------------------------- */

static int in_range(const bd_emu_t *bd, uint32_t block, uint32_t off, uint32_t size,
        uint32_t unit)
{
    return block < bd->cfg.block_count && size > 0 && size <= bd->cfg.block_size
            && off <= bd->cfg.block_size - size && off % unit == 0 && size % unit == 0;
}

static int do_read(bd_emu_t *bd, uint32_t block, uint32_t off, uint8_t *buffer, uint32_t size)
{
    struct bde_stat *st = bde_stats_get(&bd->stats, block);
    if (!st) {
        return LFS_ERR_NOMEM;
    }
    bd->counters.reads++;
    bd->counters.bytes_read += size;
    st->reads++;
    if (bd->cfg.bad_behavior == BD_EMU_BAD_READ_ERROR && bde_is_bad(bd, block)) {
        return LFS_ERR_CORRUPT;
    }
    const struct bde_block *blk = bde_store_lookup(bd->pool, bd->root, block);
    if (blk) {
        memcpy(buffer, blk->data + off, size);
        if (blk->unstable) {
            bde_metastable_read(bd, blk, off, size, buffer);
        }
    } else {
        bde_baseline(bd->pool, block, off, size, buffer);
    }
    if (bd->disturb_p > 0) {
        bde_read_disturb(bd, buffer, size);
    }
    return 0;
}

int bd_emu_dev_read(bd_emu_t *bd, uint32_t block, uint32_t off, void *buffer, uint32_t size)
{
    if (!bd) {
        return LFS_ERR_INVAL;
    }
    int rc;
    if (!bd->powered) {
        rc = LFS_ERR_IO;
    } else if (!buffer || !in_range(bd, block, off, size, bd->cfg.read_size)) {
        rc = LFS_ERR_INVAL;
    } else {
        rc = do_read(bd, block, off, buffer, size);
    }
    bde_trace(bd, BD_EMU_OP_READ, block, off, size, rc);
    return rc;
}

/* Counts a validated write op; NOMEM if its block's counters cannot exist. */
static int count_write(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t size)
{
    if (op == BD_EMU_OP_SYNC) {
        bd->counters.syncs++;
    } else {
        struct bde_stat *st = bde_stats_get(&bd->stats, block);
        if (!st) {
            return LFS_ERR_NOMEM;
        }
        if (op == BD_EMU_OP_PROG) {
            bd->counters.progs++;
            bd->counters.bytes_progged += size;
            st->progs++;
        } else {
            bd->counters.erases++;
            bd->counters.bytes_erased += size;
        }
    }
    bd->write_ops++;
    return 0;
}

int bde_check_write(const bd_emu_t *bd, enum bd_emu_op op, uint32_t block,
        uint32_t off, const void *buffer, uint32_t size)
{
    switch (op) {
    case BD_EMU_OP_PROG:
        return buffer && in_range(bd, block, off, size, bd->cfg.prog_size) ? 0 : LFS_ERR_INVAL;
    case BD_EMU_OP_ERASE:
        return block < bd->cfg.block_count ? 0 : LFS_ERR_INVAL;
    case BD_EMU_OP_SYNC:
        return 0;
    default:
        return LFS_ERR_INVAL;
    }
}

static int write_op(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t off,
        const void *buffer, uint32_t size)
{
    int rc;
    if (!bd->powered) {
        rc = LFS_ERR_IO;
    } else if ((rc = bde_check_write(bd, op, block, off, buffer, size)) < 0) {
        /* refused */
    } else if ((rc = count_write(bd, op, block, size)) == 0) {
        if (bd->armed && bd->write_ops == bd->cut_at) {
            bd->armed = 0;
            bde_perform(bd, op, block, off, buffer, size, (int)bd->fault, 1);
            bd->powered = 0;
            bde_settle(bd);
            bde_trace(bd, op, block, off, size, LFS_ERR_IO);
            if (bd->cut_cb) {
                bd->cut_cb(bd->cut_ctx);
            }
            return LFS_ERR_IO;
        }
        rc = bde_perform(bd, op, block, off, buffer, size, BDE_NO_FAULT, 1);
    }
    bde_trace(bd, op, block, off, size, rc);
    return rc;
}

int bd_emu_dev_prog(bd_emu_t *bd, uint32_t block, uint32_t off, const void *buffer, uint32_t size)
{
    return bd ? write_op(bd, BD_EMU_OP_PROG, block, off, buffer, size) : LFS_ERR_INVAL;
}

int bd_emu_dev_erase(bd_emu_t *bd, uint32_t block)
{
    return bd ? write_op(bd, BD_EMU_OP_ERASE, block, 0, NULL, bd->cfg.block_size)
            : LFS_ERR_INVAL;
}

int bd_emu_dev_sync(bd_emu_t *bd)
{
    return bd ? write_op(bd, BD_EMU_OP_SYNC, 0, 0, NULL, 0) : LFS_ERR_INVAL;
}

static bd_emu_t *device_of(const struct lfs_config *c)
{
    return c ? c->context : NULL;
}

int bd_emu_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size)
{
    return bd_emu_dev_read(device_of(c), block, off, buffer, size);
}

int bd_emu_prog(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, const void *buffer, lfs_size_t size)
{
    return bd_emu_dev_prog(device_of(c), block, off, buffer, size);
}

int bd_emu_erase(const struct lfs_config *c, lfs_block_t block)
{
    return bd_emu_dev_erase(device_of(c), block);
}

int bd_emu_sync(const struct lfs_config *c)
{
    return bd_emu_dev_sync(device_of(c));
}

int bd_emu_peek(const bd_emu_t *bd, uint32_t block, uint32_t off, void *buffer, uint32_t size)
{
    if (!bd || (!buffer && size) || block >= bd->cfg.block_count
            || size > bd->cfg.block_size || off > bd->cfg.block_size - size) {
        return LFS_ERR_INVAL;
    }
    if (size) {
        bde_store_read(bd->pool, bd->root, block, off, size, buffer);
    }
    return 0;
}

/* ---- counters ---------------------------------------------------------------- */

void bd_emu_counters(const bd_emu_t *bd, struct bd_emu_counters *out)
{
    *out = bd->counters;
}

void bd_emu_reset_counters(bd_emu_t *bd)
{
    memset(&bd->counters, 0, sizeof bd->counters);
    bde_stats_reset_io(&bd->stats);
}

uint32_t bd_emu_block_reads(const bd_emu_t *bd, uint32_t block)
{
    const struct bde_stat *st = block < bd->cfg.block_count
            ? bde_stats_peek(&bd->stats, block) : NULL;
    return st ? st->reads : 0;
}

uint32_t bd_emu_block_progs(const bd_emu_t *bd, uint32_t block)
{
    const struct bde_stat *st = block < bd->cfg.block_count
            ? bde_stats_peek(&bd->stats, block) : NULL;
    return st ? st->progs : 0;
}

uint64_t bd_emu_write_ops(const bd_emu_t *bd)
{
    return bd->write_ops;
}

void bd_emu_reseed(bd_emu_t *bd, uint64_t seed)
{
    bd->prng = bde_prng_seed(seed);
}
