/*
 * bd_emu.h - an emulated flash device that counts everything and fails on
 * demand.
 *
 * The read/prog/erase/sync functions have the signatures of littlefs's
 * block-device callbacks, so a struct lfs_config can point straight at them
 * with `context` set to the bd_emu_t.  Every random choice the device makes
 * (torn writes, metastable reads, bit flips, unpredictable erased content)
 * comes from one PRNG seeded in bd_emu_config: the same seed and the same
 * sequence of calls give the same bytes.
 *
 * Storage is sparse and copy-on-write: a block that was never written costs
 * no memory, and a snapshot costs O(blocks changed since), not O(device).
 *
 * Errors: calls return 0 or a negative littlefs error code (LFS_ERR_INVAL
 * for misaligned or out-of-range requests, LFS_ERR_IO / LFS_ERR_CORRUPT for
 * injected faults).  They never abort.
 */
#ifndef BD_EMU_H
#define BD_EMU_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "lfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bd_emu bd_emu_t;

/* ---- configuration ----------------------------------------------------- */

/* What an erase leaves behind. */
#define BD_EMU_ERASE_NONE (-1)  /* unpredictable, seeded content */

/* What happens when a prog touches bytes that are not in the erased state. */
enum bd_emu_prog_mode {
    BD_EMU_PROG_STRICT = 0, /* write as given, record a violation */
    BD_EMU_PROG_MASK   = 1, /* bits can only move away from erased (NOR) */
};

/* How a worn-out or bad block behaves. */
enum bd_emu_bad_behavior {
    BD_EMU_BAD_PROG_ERROR  = 0, /* prog returns LFS_ERR_CORRUPT, no change  */
    BD_EMU_BAD_ERASE_ERROR = 1, /* erase returns LFS_ERR_CORRUPT, no change */
    BD_EMU_BAD_READ_ERROR  = 2, /* read returns LFS_ERR_CORRUPT            */
    BD_EMU_BAD_PROG_NOOP   = 3, /* prog returns 0 but changes nothing      */
    BD_EMU_BAD_ERASE_NOOP  = 4, /* erase returns 0 but changes nothing     */
    BD_EMU_BAD_PROG_FLIP   = 5, /* prog returns 0, some bits fail to move  */
};

/* What a power cut does to the operation it interrupts. */
enum bd_emu_fault {
    BD_EMU_FAULT_ATOMIC        = 0, /* the interrupted op did not happen   */
    BD_EMU_FAULT_TORN_PREFIX   = 1, /* first k bytes of the prog landed    */
    BD_EMU_FAULT_TORN_BITS     = 2, /* a random subset of the bits landed  */
    BD_EMU_FAULT_METASTABLE    = 3, /* prog'd bytes read back unstable     */
    BD_EMU_FAULT_PARTIAL_ERASE = 4, /* erase left old data / erased / zero */
    BD_EMU_FAULT_OUT_OF_ORDER  = 5, /* unsynced blocks lose their writes   */
    BD_EMU_FAULT_COUNT
};

struct bd_emu_config {
    uint32_t read_size;
    uint32_t prog_size;
    uint32_t block_size;        /* the erase size */
    uint32_t block_count;
    int erase_value;            /* 0xff, 0x00 or BD_EMU_ERASE_NONE */
    enum bd_emu_prog_mode prog_mode;
    uint32_t erase_cycles;      /* 0: unlimited; else wear at which a block goes bad */
    enum bd_emu_bad_behavior bad_behavior;
    uint64_t seed;
};

/* Creates a device, all blocks erased (or seeded garbage for ERASE_NONE).
 * Bad geometry is refused: returns NULL and writes a one-line reason into
 * err (if err is not NULL). */
bd_emu_t *bd_emu_create(const struct bd_emu_config *cfg, char *err, size_t errlen);
void bd_emu_destroy(bd_emu_t *bd);
const struct bd_emu_config *bd_emu_geometry(const bd_emu_t *bd);

/* ---- the littlefs block-device callbacks (context = bd_emu_t *) -------- */

int bd_emu_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size);
int bd_emu_prog(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, const void *buffer, lfs_size_t size);
int bd_emu_erase(const struct lfs_config *c, lfs_block_t block);
int bd_emu_sync(const struct lfs_config *c);

/* The same operations on the device itself, for code that has no config. */
int bd_emu_dev_read(bd_emu_t *bd, uint32_t block, uint32_t off, void *buffer, uint32_t size);
int bd_emu_dev_prog(bd_emu_t *bd, uint32_t block, uint32_t off, const void *buffer, uint32_t size);
int bd_emu_dev_erase(bd_emu_t *bd, uint32_t block);
int bd_emu_dev_sync(bd_emu_t *bd);

/* Reads the stored bytes without counting, faults or read disturb
 * (metastable bytes read as their current stored value). For inspection. */
int bd_emu_peek(const bd_emu_t *bd, uint32_t block, uint32_t off, void *buffer, uint32_t size);

/* ---- counters ---------------------------------------------------------- */

struct bd_emu_counters {
    uint64_t reads, progs, erases, syncs;
    uint64_t bytes_read, bytes_progged, bytes_erased;
    uint64_t prog_violations;   /* progs onto non-erased bytes (strict mode) */
};

void bd_emu_counters(const bd_emu_t *bd, struct bd_emu_counters *out);
void bd_emu_reset_counters(bd_emu_t *bd);   /* global and per-block read/prog; not wear */

uint32_t bd_emu_wear(const bd_emu_t *bd, uint32_t block);          /* erase count */
int bd_emu_set_wear(bd_emu_t *bd, uint32_t block, uint32_t wear);   /* start "old" */
uint32_t bd_emu_block_reads(const bd_emu_t *bd, uint32_t block);
uint32_t bd_emu_block_progs(const bd_emu_t *bd, uint32_t block);

/* ---- bad blocks --------------------------------------------------------- */

/* Marks a block bad (a factory bad-block list) with the configured
 * behaviour; bad=0 heals it. A block also goes bad when its wear reaches
 * erase_cycles. */
int bd_emu_set_bad(bd_emu_t *bd, uint32_t block, int bad);
int bd_emu_is_bad(const bd_emu_t *bd, uint32_t block);
void bd_emu_set_bad_behavior(bd_emu_t *bd, enum bd_emu_bad_behavior behavior);

/* ---- power loss --------------------------------------------------------- */

/* Called when a cut fires, after the fault has been applied. The runner
 * longjmps out of it. If it returns, the interrupted call returns
 * LFS_ERR_IO and the device stays off until bd_emu_power_on(). */
typedef void (*bd_emu_powerloss_cb)(void *ctx);

/* Arms a cut at the n-th (1-based) prog, erase or sync counted from now. */
void bd_emu_arm_powerloss(bd_emu_t *bd, uint64_t n, enum bd_emu_fault fault,
        bd_emu_powerloss_cb cb, void *ctx);
void bd_emu_disarm_powerloss(bd_emu_t *bd);
/* Progs + erases + syncs since the device was created (what a cut counts). */
uint64_t bd_emu_write_ops(const bd_emu_t *bd);
int bd_emu_powered(const bd_emu_t *bd);
void bd_emu_power_on(bd_emu_t *bd);

/* Applies `fault` as if a cut interrupted `op` right now, without a
 * callback. Useful to build a crashed state directly in tests. */
enum bd_emu_op { BD_EMU_OP_READ, BD_EMU_OP_PROG, BD_EMU_OP_ERASE, BD_EMU_OP_SYNC };

/* ---- bit flips ----------------------------------------------------------- */

int bd_emu_flip_bit(bd_emu_t *bd, uint32_t block, uint32_t bit);   /* persistent */
int bd_emu_flip_random(bd_emu_t *bd, uint32_t block, uint32_t nbits);
/* Read disturb: each bit read flips transiently with this probability
 * (0 disables). The stored data is not changed. */
void bd_emu_set_read_disturb(bd_emu_t *bd, double probability_per_bit);

/* ---- snapshots and hashing ------------------------------------------------ */

typedef struct bd_emu_snapshot bd_emu_snapshot_t;

/* O(1) now; later writes copy only what they change. */
bd_emu_snapshot_t *bd_emu_snapshot(bd_emu_t *bd);
void bd_emu_snapshot_free(bd_emu_snapshot_t *snap);
/* Puts the device's contents back as they were at the snapshot. Counters,
 * wear and the PRNG are not rewound. */
int bd_emu_restore(bd_emu_t *bd, const bd_emu_snapshot_t *snap);
/* A new, independent device whose contents are the snapshot's. */
bd_emu_t *bd_emu_clone(const bd_emu_snapshot_t *snap);
uint64_t bd_emu_snapshot_hash(const bd_emu_snapshot_t *snap);

/* Hash of the whole device's contents, kept up to date incrementally:
 * equal contents always give equal hashes, whatever the history. O(1). */
uint64_t bd_emu_hash(const bd_emu_t *bd);

/* ---- images ------------------------------------------------------------------ */

/* Loads a raw flash dump (block_size * block_count bytes, the device's
 * byte layout). A shorter file is refused with LFS_ERR_INVAL. */
int bd_emu_load_image(bd_emu_t *bd, const char *path);
int bd_emu_save_image(const bd_emu_t *bd, const char *path);
/* Memory in use by stored blocks, in bytes (for the sparse-memory claim). */
size_t bd_emu_memory(const bd_emu_t *bd);

/* ---- trace ---------------------------------------------------------------- */

struct bd_emu_trace_event {
    enum bd_emu_op op;
    uint32_t block, off, size;
    int result;
};
typedef void (*bd_emu_trace_cb)(void *ctx, const struct bd_emu_trace_event *ev);
void bd_emu_set_trace(bd_emu_t *bd, bd_emu_trace_cb cb, void *ctx);
/* One line per operation: "read|prog|erase|sync block off size result". */
void bd_emu_set_trace_file(bd_emu_t *bd, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
