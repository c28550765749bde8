/*
 * hash.c - the incremental content hash.
 *
 * The device hash is the sum, mod 2^64, over every 8-byte word position of
 * mix(position, word) - mix(position, baseline word), plus
 * mixu(position, unstable mask word) for metastable words.  A position is
 * block * words_per_block + word index; the last word of a block is padded
 * with zeros when block_size is not a multiple of 8.  It is a function of the
 * contents alone, so equal contents hash equal whatever their history; a
 * fresh device hashes to 0; a write updates it in O(words changed).
 * Comparable between devices of the same geometry, erase value and (for
 * ERASE_NONE, whose baseline depends on it) seed.  Words are read
 * little-endian, so the value is the same on every host.
 */
#include "bd_emu_internal.h"

#include <string.h>

#define DATA_SALT     UINT64_C(0x3c6ef372fe94f82b)
#define UNSTABLE_SALT UINT64_C(0xa54ff53a5f1d36f1)

static inline uint64_t mix(uint64_t salted_key, uint64_t word)
{
    return bde_fmix64(bde_fmix64(salted_key) ^ word);
}

static inline uint64_t load_word(const uint8_t *p, uint32_t n)
{
    uint64_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        w |= (uint64_t)p[i] << (8 * i);
    }
    return w;
}

static inline uint64_t load_full(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16
            | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40
            | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* Bytes of word j that lie inside the block. */
static inline uint32_t word_len(const struct bde_pool *pool, uint32_t j)
{
    uint32_t rest = pool->cfg.block_size - j * 8;
    return rest < 8 ? rest : 8;
}

uint64_t bde_hash_words(const struct bde_pool *pool, uint32_t block,
        const uint8_t *data, uint32_t w0, uint32_t w1)
{
    uint64_t key = DATA_SALT + (uint64_t)block * pool->words;
    uint64_t sum = 0;
    uint32_t full = w1 < pool->cfg.block_size / 8 ? w1 : pool->cfg.block_size / 8;
    uint32_t j = w0;
    for (; j < full; j++) {
        sum += mix(key + j, load_full(data + 8 * j));
    }
    for (; j < w1; j++) {
        sum += mix(key + j, load_word(data + 8 * j, word_len(pool, j)));
    }
    return sum;
}

uint64_t bde_hash_unstable(const struct bde_pool *pool, uint32_t block,
        const uint8_t *mask, uint32_t w0, uint32_t w1)
{
    uint64_t key = UNSTABLE_SALT + (uint64_t)block * pool->words;
    uint64_t sum = 0;
    for (uint32_t j = w0; j < w1; j++) {
        uint64_t m = load_word(mask + 8 * j, word_len(pool, j));
        if (m) {
            sum += mix(key + j, m);
        }
    }
    return sum;
}

/* Sum of word hashes of the baseline of a block. */
static uint64_t hash_baseline(const struct bde_pool *pool, uint32_t block)
{
    uint64_t key = DATA_SALT + (uint64_t)block * pool->words;
    uint64_t sum = 0;
    for (uint32_t j = 0; j < pool->words; j++) {
        uint32_t n = word_len(pool, j);
        uint64_t keep = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
        uint64_t w;
        if (pool->cfg.erase_value == BD_EMU_ERASE_NONE) {
            /* the baseline generator's word, see bde_baseline */
            w = bde_fmix64(pool->baseline_seed + (uint64_t)block * pool->words + j);
        } else {
            w = UINT64_C(0x0101010101010101) * (uint8_t)pool->cfg.erase_value;
        }
        sum += mix(key + j, w & keep);
    }
    return sum;
}

uint64_t bde_hash_block(const struct bde_pool *pool, uint32_t block,
        const struct bde_block *blk)
{
    if (!blk) {
        return 0;
    }
    uint64_t h = bde_hash_words(pool, block, blk->data, 0, pool->words)
            - hash_baseline(pool, block);
    if (blk->unstable) {
        h += bde_hash_unstable(pool, block, blk->unstable, 0, pool->words);
    }
    return h;
}
