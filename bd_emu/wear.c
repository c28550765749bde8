/*
 * wear.c - wear and bad blocks: per-block erase counts, the erase_cycles
 * limit, the factory bad-block list, and the "prog flips" behaviour of a bad
 * block.
 *
 * A block is bad when it is on the factory list or when erase_cycles is
 * nonzero and its wear has reached it.  What a bad block does is the
 * device's current bad_behavior (device.c applies it).  Wear is
 * device-lifetime state: snapshots and restores do not change it.
 */
#include "bd_emu_internal.h"

int bde_is_bad(const bd_emu_t *bd, uint32_t block)
{
    const struct bde_stat *st = bde_stats_peek(&bd->stats, block);
    if (!st) {
        return 0;
    }
    return st->factory_bad || (bd->cfg.erase_cycles && st->wear >= bd->cfg.erase_cycles);
}

void bde_prog_flip(bd_emu_t *bd, const uint8_t *old, uint8_t *intended, uint32_t size)
{
    /* each bit the prog would move stays put when its draw bit is set */
    uint64_t r = 0;
    for (uint32_t i = 0; i < size; i++) {
        if (i % 8 == 0) {
            r = bde_prng_next(&bd->prng);
        }
        intended[i] ^= (uint8_t)((old[i] ^ intended[i]) & (r >> (8 * (i % 8))));
    }
}

uint32_t bd_emu_wear(const bd_emu_t *bd, uint32_t block)
{
    const struct bde_stat *st = block < bd->cfg.block_count
            ? bde_stats_peek(&bd->stats, block) : NULL;
    return st ? st->wear : 0;
}

int bd_emu_set_wear(bd_emu_t *bd, uint32_t block, uint32_t wear)
{
    if (block >= bd->cfg.block_count) {
        return LFS_ERR_INVAL;
    }
    struct bde_stat *st = bde_stats_get(&bd->stats, block);
    if (!st) {
        return LFS_ERR_NOMEM;
    }
    st->wear = wear;
    return 0;
}

int bd_emu_set_bad(bd_emu_t *bd, uint32_t block, int bad)
{
    if (block >= bd->cfg.block_count) {
        return LFS_ERR_INVAL;
    }
    struct bde_stat *st = bde_stats_get(&bd->stats, block);
    if (!st) {
        return LFS_ERR_NOMEM;
    }
    st->factory_bad = bad != 0;
    return 0;
}

int bd_emu_is_bad(const bd_emu_t *bd, uint32_t block)
{
    if (block >= bd->cfg.block_count) {
        return LFS_ERR_INVAL;
    }
    return bde_is_bad(bd, block);
}

int bd_emu_set_bad_behavior(bd_emu_t *bd, enum bd_emu_bad_behavior behavior)
{
    if ((unsigned)behavior > BD_EMU_BAD_PROG_FLIP) {
        return LFS_ERR_INVAL;
    }
    bd->cfg.bad_behavior = behavior;
    return 0;
}
