/*
 * hash.c - the incremental content hash.
 *
 * Each 8-byte word position k (block * words_per_block + word index) holding
 * word w contributes c(k, w ^ b_k), where b_k is the baseline word there and
 * c(k, 0) = 0, c(k, x) = fmix64(x ^ k * K) otherwise; metastable words add
 * c(k + U, unstable mask).  The device hash is the sum mod 2^64.  It is a
 * function of the contents alone, so equal contents hash equal whatever
 * their history; a fresh device hashes to 0; baseline words cost nothing to
 * hash, and a write updates the sum in O(words changed).  The last word of a
 * block is zero-padded when block_size is not a multiple of 8.  Comparable
 * between devices of the same geometry, erase value and (for ERASE_NONE,
 * whose baseline depends on it) seed.  Words are read little-endian, so the
 * value is the same on every host.
 */
#include "bd_emu_internal.h"

#define KEY_MUL       UINT64_C(0x9e3779b97f4a7c15)
#define UNSTABLE_SALT UINT64_C(0xa54ff53a5f1d36f1)

static inline uint64_t contribution(uint64_t key, uint64_t x)
{
    return x ? bde_fmix64(x ^ (key * KEY_MUL)) : 0;
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

/* The baseline word at position key (word j of its block), as load_word()
 * would read it from bde_baseline()'s bytes. */
static inline uint64_t baseline_word(const struct bde_pool *pool, uint64_t key, uint32_t j)
{
    uint32_t n = word_len(pool, j);
    uint64_t keep = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
    uint64_t w = pool->cfg.erase_value == BD_EMU_ERASE_NONE
            ? bde_fmix64(pool->baseline_seed + key)
            : UINT64_C(0x0101010101010101) * (uint8_t)pool->cfg.erase_value;
    return w & keep;
}

uint64_t bde_hash_words(const struct bde_pool *pool, uint32_t block,
        const uint8_t *data, uint32_t w0, uint32_t w1)
{
    uint64_t key = (uint64_t)block * pool->words;
    uint64_t sum = 0;
    uint32_t full = pool->cfg.block_size / 8;
    uint32_t j = w0;
    if (pool->cfg.erase_value != BD_EMU_ERASE_NONE) {
        /* the hot path: a constant baseline word */
        uint64_t base = UINT64_C(0x0101010101010101) * (uint8_t)pool->cfg.erase_value;
        for (; j < w1 && j < full; j++) {
            sum += contribution(key + j, load_full(data + 8 * j) ^ base);
        }
    }
    for (; j < w1; j++) {
        sum += contribution(key + j,
                load_word(data + 8 * j, word_len(pool, j)) ^ baseline_word(pool, key + j, j));
    }
    return sum;
}

uint64_t bde_hash_unstable(const struct bde_pool *pool, uint32_t block,
        const uint8_t *mask, uint32_t w0, uint32_t w1)
{
    uint64_t key = UNSTABLE_SALT + (uint64_t)block * pool->words;
    uint64_t sum = 0;
    for (uint32_t j = w0; j < w1; j++) {
        sum += contribution(key + j, load_word(mask + 8 * j, word_len(pool, j)));
    }
    return sum;
}

uint64_t bde_hash_block(const struct bde_pool *pool, uint32_t block,
        const struct bde_block *blk)
{
    if (!blk) {
        return 0;
    }
    uint64_t h = bde_hash_words(pool, block, blk->data, 0, pool->words);
    if (blk->unstable) {
        h += bde_hash_unstable(pool, block, blk->unstable, 0, pool->words);
    }
    return h;
}
