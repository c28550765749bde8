/*
 * bd_emu_internal.h - the device's private structures and the functions the
 * bd_emu .c files share.  Not part of the public interface; tests may use it
 * to re-derive the exact state a seeded fault model must leave.
 */
#ifndef BD_EMU_INTERNAL_H
#define BD_EMU_INTERNAL_H

#include "bd_emu.h"
#include "prng.h"

#include <stdint.h>
#include <stddef.h>

/* ---- store.c: sparse copy-on-write contents ------------------------------
 *
 * Contents are a persistent radix tree: interior nodes of BDE_FANOUT slots,
 * the bottom level pointing at blocks.  Nodes and blocks are reference
 * counted; a writer copies every shared node on its path (path copying), so
 * a snapshot is one reference to the root.  A NULL slot means "never written
 * since the last full erase": it reads as the baseline. */

#define BDE_RADIX_BITS 6
#define BDE_FANOUT (1u << BDE_RADIX_BITS)

struct bde_block {
    uint32_t refs;
    uint8_t *unstable;      /* metastable bits (1 = reads randomly), or NULL */
    uint8_t data[];         /* block_size bytes */
};

struct bde_node {
    uint32_t refs;
    uint32_t used;          /* non-NULL slots */
    void *slot[BDE_FANOUT]; /* bde_node * above the bottom level, else bde_block * */
};

/* What a device, its snapshots and its clones share: the geometry the nodes
 * were built for and the count of memory they hold. */
struct bde_pool {
    uint32_t refs;
    struct bd_emu_config cfg;
    uint32_t levels;        /* radix levels from root to blocks */
    uint32_t words;         /* 8-byte words per block (last may be partial) */
    uint64_t baseline_seed; /* ERASE_NONE: baseline content key */
    size_t bytes;           /* heap held by nodes and blocks */
};

struct bde_pool *bde_pool_new(const struct bd_emu_config *cfg);
void bde_pool_ref(struct bde_pool *pool);
void bde_pool_unref(struct bde_pool *pool);

struct bde_node *bde_node_ref(struct bde_node *node);
void bde_node_release(struct bde_pool *pool, struct bde_node *node);

/* A new block (refs 1, no unstable mask), contents uninitialised. */
struct bde_block *bde_block_new(struct bde_pool *pool);
void bde_block_release(struct bde_pool *pool, struct bde_block *blk);
/* Gives blk an all-zero unstable mask if it has none. */
int bde_block_add_unstable(struct bde_pool *pool, struct bde_block *blk);

const struct bde_block *bde_store_lookup(const struct bde_pool *pool,
        const struct bde_node *root, uint32_t block);
/* The block, unshared and materialised (baseline if absent), for writing.
 * NULL when out of memory. */
struct bde_block *bde_store_writable(struct bde_pool *pool,
        struct bde_node **root, uint32_t block);
/* Puts blk (its reference is taken over; may be NULL for "baseline") at
 * block, releasing what was there. Returns 0 or LFS_ERR_NOMEM (blk is then
 * released). */
int bde_store_set(struct bde_pool *pool, struct bde_node **root,
        uint32_t block, struct bde_block *blk);
/* Copies stored bytes [off, off+size) (baseline where absent) into dst. */
void bde_store_read(const struct bde_pool *pool, const struct bde_node *root,
        uint32_t block, uint32_t off, uint32_t size, uint8_t *dst);
/* The baseline: what a never-written block holds. */
void bde_baseline(const struct bde_pool *pool, uint32_t block,
        uint32_t off, uint32_t size, uint8_t *dst);

/* ---- hash.c: incremental content hash ----------------------------------- */

/* Sum of word hashes of data words [w0, w1) of block (data = whole block);
 * baseline words contribute 0. */
uint64_t bde_hash_words(const struct bde_pool *pool, uint32_t block,
        const uint8_t *data, uint32_t w0, uint32_t w1);
/* Same for an unstable mask (zero words contribute 0). */
uint64_t bde_hash_unstable(const struct bde_pool *pool, uint32_t block,
        const uint8_t *mask, uint32_t w0, uint32_t w1);
/* A block's whole contribution to the device hash (0 for NULL). */
uint64_t bde_hash_block(const struct bde_pool *pool, uint32_t block,
        const struct bde_block *blk);

/* ---- stats.c: sparse per-block counters ---------------------------------- */

struct bde_stat {
    uint32_t wear, reads, progs;
    uint32_t dirty_epoch;   /* == device epoch: written since the last sync */
    uint8_t factory_bad;
};

struct bde_stats {
    struct bde_stat ***top; /* top[i][j] -> chunk of BDE_STAT_CHUNK stats */
    uint32_t ntop;
    size_t bytes;
};

#define BDE_STAT_BITS 8
#define BDE_STAT_CHUNK (1u << BDE_STAT_BITS)

int bde_stats_init(struct bde_stats *st, uint32_t block_count);
void bde_stats_free(struct bde_stats *st);
/* Allocates on first use; NULL when out of memory. */
struct bde_stat *bde_stats_get(struct bde_stats *st, uint32_t block);
/* NULL when the block was never touched (all fields zero). */
const struct bde_stat *bde_stats_peek(const struct bde_stats *st, uint32_t block);
void bde_stats_reset_io(struct bde_stats *st);
void bde_stats_clear_epochs(struct bde_stats *st);

/* ---- the device ----------------------------------------------------------- */

#define BDE_NO_FAULT (-1)

struct bd_emu {
    struct bd_emu_config cfg;   /* bad_behavior may change at run time */
    struct bde_pool *pool;
    struct bde_node *root;      /* current contents */
    uint64_t hash;

    /* out-of-order writeback: contents at the last completed sync, and the
     * blocks written since (in first-write order) */
    struct bde_node *sync_base;
    uint32_t *dirty;
    size_t ndirty, dirty_cap;
    uint32_t epoch;

    struct bde_stats stats;
    struct bd_emu_counters counters;
    uint64_t write_ops;
    uint64_t prng;

    int powered;
    int armed;
    uint64_t cut_at;            /* write_ops value whose op is cut */
    enum bd_emu_fault fault;
    bd_emu_powerloss_cb cut_cb;
    void *cut_ctx;

    double disturb_p;           /* read disturb probability per bit */
    double disturb_log1m;       /* ln(1 - disturb_p) */

    bd_emu_trace_cb trace_cb;
    void *trace_ctx;
    FILE *trace_file;

    uint8_t *scratch;           /* 3 * block_size: old, new, mask */
};

/* device.c */
bd_emu_t *bde_device_new(struct bde_pool *pool, struct bde_node *root, uint64_t hash);
int bde_is_bad(const bd_emu_t *bd, uint32_t block);
/* Replaces bytes [off, off+size) of block with src, ORs unstable (if not
 * NULL) into the block's unstable mask, keeps the hash up to date. */
int bde_write_range(bd_emu_t *bd, uint32_t block, uint32_t off,
        const uint8_t *src, uint32_t size, const uint8_t *unstable);
/* Replaces a whole block (NULL = baseline), keeps the hash up to date. */
int bde_set_block(bd_emu_t *bd, uint32_t block, struct bde_block *blk);
int bde_mark_dirty(bd_emu_t *bd, uint32_t block);
/* Makes the current contents the durable ones: no unsynced writes. */
int bde_settle(bd_emu_t *bd);
/* 0 if a prog/erase/sync with these arguments is in range and aligned,
 * else LFS_ERR_INVAL. */
int bde_check_write(const bd_emu_t *bd, enum bd_emu_op op, uint32_t block,
        uint32_t off, const void *buffer, uint32_t size);
/* Performs a prog/erase/sync, with `fault` applied as a power cut when it
 * is not BDE_NO_FAULT. count: bump wear (the other counters are the
 * caller's). Returns the op's own result. */
int bde_perform(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t off,
        const void *buffer, uint32_t size, int fault, int count);

/* fault.c: applies a cut's fault to a prog or erase, given the old bytes and
 * the intended new ones of the range [off, off+size) (erase: whole block). */
int bde_fault_write(bd_emu_t *bd, enum bd_emu_op op, enum bd_emu_fault fault,
        uint32_t block, uint32_t off, uint32_t size,
        const uint8_t *old, uint8_t *intended, uint8_t *mask);
int bde_fault_out_of_order(bd_emu_t *bd);

/* trace.c */
void bde_trace(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t off,
        uint32_t size, int result);

/* bitflip.c */
void bde_read_disturb(bd_emu_t *bd, uint8_t *buffer, uint32_t size);
void bde_metastable_read(bd_emu_t *bd, const struct bde_block *blk,
        uint32_t off, uint32_t size, uint8_t *buffer);

/* wear.c */
void bde_prog_flip(bd_emu_t *bd, const uint8_t *old, uint8_t *intended, uint32_t size);

#endif
