/*
 * fault.c - power loss: arming a cut, and the fault models that decide what
 * the interrupted operation leaves behind (see enum bd_emu_fault in
 * bd_emu.h for the contract).
 *
 * PRNG draws, in order, so a test can re-derive the exact outcome (an
 * interrupted erase on ERASE_NONE first draws its new content, one draw per 8
 * bytes, in perform_erase; a prog onto a PROG_FLIP bad block first draws its
 * failed bits, see wear.c):
 *   torn-prefix (prog)   k = below(size)
 *   torn-bits            one draw per 8 bytes; bit set = that bit moved
 *   metastable           none (reads draw later, see bitflip.c)
 *   partial-erase        pattern = below(3); pattern 0 and 1: k = below(block_size);
 *                        pattern 2: one draw per 64 bytes, bit i%64 set = byte i erased
 *   out-of-order         one draw per block written since the last sync, in
 *                        first-write order; low bit set = the block reverts
 * An op that would change nothing (a bad block's error or no-op) draws
 * nothing, except out-of-order's reverts.
 */
#include "bd_emu_internal.h"

#include <string.h>

int bde_fault_out_of_order(bd_emu_t *bd)
{
    for (size_t i = 0; i < bd->ndirty; i++) {
        uint32_t block = bd->dirty[i];
        if (!(bde_prng_next(&bd->prng) & 1)) {
            continue;
        }
        /* the store's blocks are never const; lookup only promises not to
         * change them */
        struct bde_block *synced = (struct bde_block *)bde_store_lookup(bd->pool,
                bd->sync_base, block);
        if (synced) {
            synced->refs++;
        }
        int rc = bde_set_block(bd, block, synced);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static void partial_erase(bd_emu_t *bd, uint32_t bs, const uint8_t *old, uint8_t *erased)
{
    uint64_t pattern = bde_prng_below(&bd->prng, 3);
    if (pattern == 0) {
        /* erased up to k, old data after */
        uint32_t k = (uint32_t)bde_prng_below(&bd->prng, bs);
        memcpy(erased + k, old + k, bs - k);
    } else if (pattern == 1) {
        /* NOR pre-program cut: old data up to k, zeros after */
        uint32_t k = (uint32_t)bde_prng_below(&bd->prng, bs);
        memcpy(erased, old, k);
        memset(erased + k, 0x00, bs - k);
    } else {
        uint64_t r = 0;
        for (uint32_t i = 0; i < bs; i++) {
            if (i % 64 == 0) {
                r = bde_prng_next(&bd->prng);
            }
            if (!((r >> (i % 64)) & 1)) {
                erased[i] = old[i];
            }
        }
    }
}

int bde_fault_write(bd_emu_t *bd, enum bd_emu_op op, enum bd_emu_fault fault,
        uint32_t block, uint32_t off, uint32_t size,
        const uint8_t *old, uint8_t *intended, uint8_t *mask)
{
    switch (fault) {
    case BD_EMU_FAULT_ATOMIC:
        return 0;
    case BD_EMU_FAULT_OUT_OF_ORDER:
        return bde_fault_out_of_order(bd);
    case BD_EMU_FAULT_TORN_PREFIX:
        if (op == BD_EMU_OP_ERASE) {
            partial_erase(bd, size, old, intended);
        } else {
            uint32_t k = (uint32_t)bde_prng_below(&bd->prng, size);
            memcpy(intended + k, old + k, size - k);
        }
        return bde_write_range(bd, block, off, intended, size, NULL);
    case BD_EMU_FAULT_TORN_BITS: {
        uint64_t r = 0;
        for (uint32_t i = 0; i < size; i++) {
            if (i % 8 == 0) {
                r = bde_prng_next(&bd->prng);
            }
            uint8_t moved = (uint8_t)((old[i] ^ intended[i]) & (r >> (8 * (i % 8))));
            intended[i] = old[i] ^ moved;
        }
        return bde_write_range(bd, block, off, intended, size, NULL);
    }
    case BD_EMU_FAULT_METASTABLE: {
        int any = 0;
        for (uint32_t i = 0; i < size; i++) {
            mask[i] = old[i] ^ intended[i];
            any |= mask[i];
        }
        return bde_write_range(bd, block, off, intended, size, any ? mask : NULL);
    }
    case BD_EMU_FAULT_PARTIAL_ERASE:
        if (op != BD_EMU_OP_ERASE) {
            return 0;
        }
        partial_erase(bd, size, old, intended);
        return bde_write_range(bd, block, off, intended, size, NULL);
    default:
        return LFS_ERR_INVAL;
    }
}

/* ---- arming and power state ------------------------------------------------ */

int bd_emu_arm_powerloss(bd_emu_t *bd, uint64_t n, enum bd_emu_fault fault,
        bd_emu_powerloss_cb cb, void *ctx)
{
    if ((unsigned)fault >= BD_EMU_FAULT_COUNT) {
        return LFS_ERR_INVAL;
    }
    bd->armed = n > 0;
    bd->cut_at = bd->write_ops + n;
    bd->fault = fault;
    bd->cut_cb = cb;
    bd->cut_ctx = ctx;
    return 0;
}

void bd_emu_disarm_powerloss(bd_emu_t *bd)
{
    bd->armed = 0;
}

int bd_emu_powered(const bd_emu_t *bd)
{
    return bd->powered;
}

void bd_emu_power_on(bd_emu_t *bd)
{
    bd->powered = 1;
    bde_settle(bd);
}

int bd_emu_inject_fault(bd_emu_t *bd, enum bd_emu_op op, enum bd_emu_fault fault,
        uint32_t block, uint32_t off, const void *buffer, uint32_t size)
{
    if (!bd || (unsigned)fault >= BD_EMU_FAULT_COUNT || op == BD_EMU_OP_READ) {
        return LFS_ERR_INVAL;
    }
    if (!bd->powered) {
        return LFS_ERR_IO;
    }
    if (op == BD_EMU_OP_ERASE) {
        off = 0;
        size = bd->cfg.block_size;
    }
    int rc = bde_check_write(bd, op, block, off, buffer, size);
    if (rc < 0) {
        return rc;
    }
    rc = bde_perform(bd, op, block, off, buffer, size, (int)fault, 0);
    bd->powered = 0;
    bde_settle(bd);
    return rc == LFS_ERR_NOMEM ? rc : 0;
}
