/*
 * bitflip.c - bit errors: persistent flips at rest (one bit, or n random
 * distinct bits of a block), transient read disturb, and the unstable reads
 * of metastable bytes.
 *
 * Persistent flips change the stored contents (and so the hash); they are
 * not operations, so they are neither counted nor traced, and work while
 * the device is off.  Transient effects change only the caller's buffer.
 * PRNG draws: flip_random uses Floyd's sampling (one below() per bit);
 * a metastable read draws once per 8-byte block word that has unstable bits
 * in the range read, in address order; read disturb draws one geometric skip
 * per flipped bit plus one.
 */
#include "bd_emu_internal.h"

#include <string.h>

int bd_emu_flip_bit(bd_emu_t *bd, uint32_t block, uint32_t bit)
{
    if (block >= bd->cfg.block_count || bit / 8 >= bd->cfg.block_size) {
        return LFS_ERR_INVAL;
    }
    uint8_t byte;
    bde_store_read(bd->pool, bd->root, block, bit / 8, 1, &byte);
    byte ^= (uint8_t)(1u << (bit % 8));
    return bde_write_range(bd, block, bit / 8, &byte, 1, NULL);
}

int bd_emu_flip_random(bd_emu_t *bd, uint32_t block, uint32_t nbits)
{
    uint32_t bs = bd->cfg.block_size;
    uint64_t total = (uint64_t)bs * 8;
    if (block >= bd->cfg.block_count || nbits > total) {
        return LFS_ERR_INVAL;
    }
    if (nbits == 0) {
        return 0;
    }
    uint8_t *data = bd->scratch, *flips = bd->scratch + bs;
    memset(flips, 0, bs);
    /* Floyd: a uniformly random set of nbits distinct positions */
    for (uint64_t j = total - nbits; j < total; j++) {
        uint64_t t = bde_prng_below(&bd->prng, j + 1);
        uint64_t pick = (flips[t / 8] >> (t % 8)) & 1 ? j : t;
        flips[pick / 8] |= (uint8_t)(1u << (pick % 8));
    }
    bde_store_read(bd->pool, bd->root, block, 0, bs, data);
    for (uint32_t i = 0; i < bs; i++) {
        data[i] ^= flips[i];
    }
    return bde_write_range(bd, block, 0, data, bs, NULL);
}

int bd_emu_set_read_disturb(bd_emu_t *bd, double probability_per_bit)
{
    if (!(probability_per_bit >= 0.0 && probability_per_bit <= 1.0)) {
        return LFS_ERR_INVAL;
    }
    bd->disturb_p = probability_per_bit;
    bd->disturb_log1m = probability_per_bit < 1.0 && probability_per_bit > 0.0
            ? bde_log1m(probability_per_bit) : 0.0;
    return 0;
}

void bde_read_disturb(bd_emu_t *bd, uint8_t *buffer, uint32_t size)
{
    uint64_t nbits = (uint64_t)size * 8;
    if (bd->disturb_p >= 1.0) {
        for (uint32_t i = 0; i < size; i++) {
            buffer[i] = (uint8_t)~buffer[i];
        }
        return;
    }
    uint64_t pos = bde_prng_geometric(&bd->prng, bd->disturb_log1m);
    while (pos < nbits) {
        buffer[pos / 8] ^= (uint8_t)(1u << (pos % 8));
        uint64_t skip = bde_prng_geometric(&bd->prng, bd->disturb_log1m);
        if (skip >= nbits - pos - 1) {
            break;
        }
        pos += skip + 1;
    }
}

void bde_metastable_read(bd_emu_t *bd, const struct bde_block *blk,
        uint32_t off, uint32_t size, uint8_t *buffer)
{
    uint32_t end = off + size;
    for (uint32_t w = off / 8 * 8; w < end; w += 8) {
        uint32_t lo = w < off ? off : w;
        uint32_t hi = w + 8 < end ? w + 8 : end;
        int any = 0;
        for (uint32_t i = lo; i < hi; i++) {
            any |= blk->unstable[i];
        }
        if (!any) {
            continue;
        }
        /* each unstable bit reads as stored (new) or flipped (old) */
        uint64_t r = bde_prng_next(&bd->prng);
        for (uint32_t i = lo; i < hi; i++) {
            buffer[i - off] ^= (uint8_t)(blk->unstable[i] & (r >> (8 * (i - w))));
        }
    }
}
