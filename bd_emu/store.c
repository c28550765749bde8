/*
 * store.c - sparse, copy-on-write device contents: a persistent radix tree of
 * reference-counted nodes whose bottom level points at blocks.
 *
 * A never-written block is a NULL slot and reads as the baseline (the erase
 * value, or seeded content for ERASE_NONE).  A snapshot is one extra
 * reference to a root; a writer copies each shared node on its path, so the
 * cost of a write after a snapshot is O(levels + block_size), independent of
 * the device size.  Everything here assumes single-threaded use.
 */
#include "bd_emu_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS ((32 + BDE_RADIX_BITS - 1) / BDE_RADIX_BITS)

struct bde_pool *bde_pool_new(const struct bd_emu_config *cfg)
{
    struct bde_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        return NULL;
    }
    pool->refs = 1;
    pool->cfg = *cfg;
    uint32_t bits = 1;
    while (bits < 32 && ((uint64_t)1 << bits) < cfg->block_count) {
        bits++;
    }
    pool->levels = (bits + BDE_RADIX_BITS - 1) / BDE_RADIX_BITS;
    pool->words = (cfg->block_size + 7) / 8;
    pool->baseline_seed = bde_fmix64(cfg->seed ^ UINT64_C(0xbb67ae8584caa73b));
    return pool;
}

void bde_pool_ref(struct bde_pool *pool)
{
    pool->refs++;
}

void bde_pool_unref(struct bde_pool *pool)
{
    if (pool && --pool->refs == 0) {
        free(pool);
    }
}

static unsigned slot_index(const struct bde_pool *pool, uint32_t block, uint32_t depth)
{
    return (block >> ((pool->levels - 1 - depth) * BDE_RADIX_BITS)) & (BDE_FANOUT - 1);
}

static size_t block_bytes(const struct bde_pool *pool)
{
    return sizeof(struct bde_block) + pool->cfg.block_size;
}

struct bde_block *bde_block_new(struct bde_pool *pool)
{
    struct bde_block *blk = malloc(block_bytes(pool));
    if (!blk) {
        return NULL;
    }
    blk->refs = 1;
    blk->unstable = NULL;
    pool->bytes += block_bytes(pool);
    return blk;
}

void bde_block_release(struct bde_pool *pool, struct bde_block *blk)
{
    if (!blk || --blk->refs > 0) {
        return;
    }
    if (blk->unstable) {
        pool->bytes -= pool->cfg.block_size;
        free(blk->unstable);
    }
    pool->bytes -= block_bytes(pool);
    free(blk);
}

int bde_block_add_unstable(struct bde_pool *pool, struct bde_block *blk)
{
    if (blk->unstable) {
        return 0;
    }
    blk->unstable = calloc(1, pool->cfg.block_size);
    if (!blk->unstable) {
        return LFS_ERR_NOMEM;
    }
    pool->bytes += pool->cfg.block_size;
    return 0;
}

static struct bde_block *block_copy(struct bde_pool *pool, const struct bde_block *src)
{
    struct bde_block *blk = bde_block_new(pool);
    if (!blk) {
        return NULL;
    }
    memcpy(blk->data, src->data, pool->cfg.block_size);
    if (src->unstable) {
        if (bde_block_add_unstable(pool, blk) < 0) {
            bde_block_release(pool, blk);
            return NULL;
        }
        memcpy(blk->unstable, src->unstable, pool->cfg.block_size);
    }
    return blk;
}

static struct bde_node *node_new(struct bde_pool *pool)
{
    struct bde_node *node = calloc(1, sizeof *node);
    if (!node) {
        return NULL;
    }
    node->refs = 1;
    pool->bytes += sizeof *node;
    return node;
}

/* An unshared copy of node (at depth) whose children gain a reference. */
static struct bde_node *node_copy(struct bde_pool *pool, const struct bde_node *src,
        uint32_t depth)
{
    struct bde_node *node = node_new(pool);
    if (!node) {
        return NULL;
    }
    memcpy(node->slot, src->slot, sizeof node->slot);
    node->used = src->used;
    int bottom = depth == pool->levels - 1;
    for (unsigned i = 0; i < BDE_FANOUT; i++) {
        if (!node->slot[i]) {
            continue;
        }
        if (bottom) {
            ((struct bde_block *)node->slot[i])->refs++;
        } else {
            ((struct bde_node *)node->slot[i])->refs++;
        }
    }
    return node;
}

static void node_release_at(struct bde_pool *pool, struct bde_node *node, uint32_t depth)
{
    if (!node || --node->refs > 0) {
        return;
    }
    int bottom = depth == pool->levels - 1;
    for (unsigned i = 0; i < BDE_FANOUT; i++) {
        if (bottom) {
            bde_block_release(pool, node->slot[i]);
        } else {
            node_release_at(pool, node->slot[i], depth + 1);
        }
    }
    pool->bytes -= sizeof *node;
    free(node);
}

struct bde_node *bde_node_ref(struct bde_node *node)
{
    if (node) {
        node->refs++;
    }
    return node;
}

void bde_node_release(struct bde_pool *pool, struct bde_node *node)
{
    node_release_at(pool, node, 0);
}

const struct bde_block *bde_store_lookup(const struct bde_pool *pool,
        const struct bde_node *root, uint32_t block)
{
    const struct bde_node *node = root;
    for (uint32_t d = 0; node && d < pool->levels - 1; d++) {
        node = node->slot[slot_index(pool, block, d)];
    }
    return node ? node->slot[slot_index(pool, block, pool->levels - 1)] : NULL;
}

/* Makes *slot (a node at depth) present and unshared; NULL when out of memory. */
static struct bde_node *own_node(struct bde_pool *pool, struct bde_node **slot,
        uint32_t depth, struct bde_node *parent)
{
    struct bde_node *node = *slot;
    if (!node) {
        node = node_new(pool);
        if (!node) {
            return NULL;
        }
        *slot = node;
        if (parent) {
            parent->used++;
        }
    } else if (node->refs > 1) {
        struct bde_node *copy = node_copy(pool, node, depth);
        if (!copy) {
            return NULL;
        }
        node->refs--;
        *slot = copy;
        node = copy;
    }
    return node;
}

/* Walks to the bottom node of block, owning every node on the way; fills
 * path[0..levels) with them.  NULL when out of memory. */
static struct bde_node *own_path(struct bde_pool *pool, struct bde_node **root,
        uint32_t block, struct bde_node **path)
{
    struct bde_node *node = own_node(pool, root, 0, NULL);
    for (uint32_t d = 0; node; d++) {
        path[d] = node;
        if (d == pool->levels - 1) {
            return node;
        }
        unsigned i = slot_index(pool, block, d);
        struct bde_node *child = node->slot[i];
        struct bde_node *owned = own_node(pool, &child, d + 1, node);
        node->slot[i] = child;
        node = owned;
    }
    return NULL;
}

struct bde_block *bde_store_writable(struct bde_pool *pool,
        struct bde_node **root, uint32_t block)
{
    struct bde_node *path[MAX_LEVELS];
    struct bde_node *bottom = own_path(pool, root, block, path);
    if (!bottom) {
        return NULL;
    }
    unsigned i = slot_index(pool, block, pool->levels - 1);
    struct bde_block *blk = bottom->slot[i];
    if (!blk) {
        blk = bde_block_new(pool);
        if (!blk) {
            return NULL;
        }
        bde_baseline(pool, block, 0, pool->cfg.block_size, blk->data);
        bottom->slot[i] = blk;
        bottom->used++;
    } else if (blk->refs > 1) {
        struct bde_block *copy = block_copy(pool, blk);
        if (!copy) {
            return NULL;
        }
        blk->refs--;
        bottom->slot[i] = copy;
        blk = copy;
    }
    return blk;
}

int bde_store_set(struct bde_pool *pool, struct bde_node **root,
        uint32_t block, struct bde_block *blk)
{
    if (!blk && !bde_store_lookup(pool, *root, block)) {
        return 0;
    }
    struct bde_node *path[MAX_LEVELS];
    struct bde_node *bottom = own_path(pool, root, block, path);
    if (!bottom) {
        bde_block_release(pool, blk);
        return LFS_ERR_NOMEM;
    }
    unsigned i = slot_index(pool, block, pool->levels - 1);
    struct bde_block *old = bottom->slot[i];
    bottom->slot[i] = blk;
    bottom->used += (blk != NULL) - (old != NULL);
    bde_block_release(pool, old);

    /* drop the nodes this left empty (all owned by us: refs == 1) */
    for (uint32_t d = pool->levels; d-- > 0 && path[d]->used == 0; ) {
        pool->bytes -= sizeof *path[d];
        free(path[d]);
        if (d == 0) {
            *root = NULL;
        } else {
            path[d - 1]->slot[slot_index(pool, block, d - 1)] = NULL;
            path[d - 1]->used--;
        }
    }
    return 0;
}

void bde_baseline(const struct bde_pool *pool, uint32_t block,
        uint32_t off, uint32_t size, uint8_t *dst)
{
    if (pool->cfg.erase_value != BD_EMU_ERASE_NONE) {
        memset(dst, pool->cfg.erase_value, size);
        return;
    }
    /* word j of block b is fmix64(seed + b * words + j), least significant
     * byte first: any byte is computable on its own */
    uint64_t key = pool->baseline_seed + (uint64_t)block * pool->words;
    uint32_t end = off + size;
    uint32_t pos = off;
    while (pos < end) {
        uint64_t v = bde_fmix64(key + pos / 8);
        for (uint32_t b = pos % 8; b < 8 && pos < end; b++, pos++) {
            *dst++ = (uint8_t)(v >> (8 * b));
        }
    }
}

void bde_store_read(const struct bde_pool *pool, const struct bde_node *root,
        uint32_t block, uint32_t off, uint32_t size, uint8_t *dst)
{
    const struct bde_block *blk = bde_store_lookup(pool, root, block);
    if (blk) {
        memcpy(dst, blk->data + off, size);
    } else {
        bde_baseline(pool, block, off, size, dst);
    }
}
