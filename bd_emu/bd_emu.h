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
 * injected faults, LFS_ERR_NOMEM when the host is out of memory).  They
 * never abort.  A read or prog must be non-empty, aligned to read_size /
 * prog_size in offset and size, and stay inside one block.
 *
 * Not thread-safe: one device (and its snapshots and clones) per thread.
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

/* What happens when a prog touches bytes that are not in the erased state.
 * With BD_EMU_ERASE_NONE there is no erased state: a prog overwrites, in
 * both modes, and no violation is ever recorded. */
enum bd_emu_prog_mode {
    BD_EMU_PROG_STRICT = 0, /* write as given; a prog whose range holds any
                             * byte != erase_value counts one violation */
    BD_EMU_PROG_MASK   = 1, /* bits only move away from erased (NOR): the
                             * prog ANDs into the bytes for 0xff, ORs for 0x00 */
};

/* How a worn-out or bad block behaves.  Only the named operation is
 * affected; the others work normally on a bad block. */
enum bd_emu_bad_behavior {
    BD_EMU_BAD_PROG_ERROR  = 0, /* prog returns LFS_ERR_CORRUPT, no change  */
    BD_EMU_BAD_ERASE_ERROR = 1, /* erase returns LFS_ERR_CORRUPT, no change */
    BD_EMU_BAD_READ_ERROR  = 2, /* read returns LFS_ERR_CORRUPT, buffer
                                 * untouched */
    BD_EMU_BAD_PROG_NOOP   = 3, /* prog returns 0 but changes nothing      */
    BD_EMU_BAD_ERASE_NOOP  = 4, /* erase returns 0 but changes nothing     */
    BD_EMU_BAD_PROG_FLIP   = 5, /* prog returns 0, but each bit it would move
                                 * stays put with probability 1/2 (seeded) */
};

/* What a power cut does to the operation it interrupts.  "Old" is the
 * range's content before the op, "new" what the complete op would store
 * (for a prog: per prog_mode and bad-block behaviour; for an erase: the
 * erase value, or for ERASE_NONE fresh seeded content).  A bit "the op
 * would move" is one where old and new differ.  Every choice below comes
 * from the device PRNG (bd_emu/fault.c lists the draws in order).
 *
 *   ATOMIC         prog, erase, sync: the op did not happen.
 *   TORN_PREFIX    prog: bytes [0, k) of the range are new, [k, size) old,
 *                  k uniform in [0, size).  erase: as PARTIAL_ERASE.
 *                  sync: as ATOMIC.
 *   TORN_BITS      prog, erase: each bit the op would move moved with
 *                  probability 1/2; the others are old.  sync: as ATOMIC.
 *   METASTABLE     prog, erase: the range stores new, but each bit the op
 *                  would move reads back as old or new at random on every
 *                  read, until the block's next complete erase.  peek
 *                  returns the stored (new) value.  sync: as ATOMIC.
 *   PARTIAL_ERASE  erase: one of three patterns, uniformly: (0) bytes
 *                  [0, k) erased, the rest old; (1) NOR pre-program cut:
 *                  bytes [0, k) old, [k, block_size) 0x00, whatever the
 *                  erase value; (2) each byte erased or old with
 *                  probability 1/2.  k uniform in [0, block_size).
 *                  prog, sync: as ATOMIC.
 *   OUT_OF_ORDER   prog, erase, sync: the op did not happen, and each block
 *                  progged or erased since the last completed sync reverts,
 *                  with probability 1/2, to its content at that sync
 *                  (losing all its writes since).
 *
 * An interrupted erase of a good block adds to its wear unless the fault
 * is ATOMIC or OUT_OF_ORDER.  After a cut, all contents are durable: the
 * next OUT_OF_ORDER cut only reverts writes made after power-on. */
enum bd_emu_fault {
    BD_EMU_FAULT_ATOMIC        = 0, /* the interrupted op did not happen   */
    BD_EMU_FAULT_TORN_PREFIX   = 1, /* first k bytes of the prog landed    */
    BD_EMU_FAULT_TORN_BITS     = 2, /* a random subset of the bits landed  */
    BD_EMU_FAULT_METASTABLE    = 3, /* prog'd bytes read back unstable     */
    BD_EMU_FAULT_PARTIAL_ERASE = 4, /* erase left old data / erased / zero */
    BD_EMU_FAULT_OUT_OF_ORDER  = 5, /* unsynced blocks lose their writes   */
    BD_EMU_FAULT_COUNT
};

/* The operations, as traced and as named to bd_emu_inject_fault(). */
enum bd_emu_op { BD_EMU_OP_READ, BD_EMU_OP_PROG, BD_EMU_OP_ERASE, BD_EMU_OP_SYNC };

struct bd_emu_config {
    uint32_t read_size;
    uint32_t prog_size;
    uint32_t block_size;        /* the erase size */
    uint32_t block_count;
    int erase_value;            /* 0xff, 0x00 or BD_EMU_ERASE_NONE */
    enum bd_emu_prog_mode prog_mode;
    uint32_t erase_cycles;      /* 0: unlimited; else wear at which a block goes bad */
    enum bd_emu_bad_behavior bad_behavior;
    uint64_t seed;              /* the PRNG, and ERASE_NONE's initial content */
};

/* Creates a device, all blocks erased (or seeded garbage for ERASE_NONE:
 * a never-written block reads as content derived from (seed, position)).
 * Bad configuration (a zero size or count, block_size not a multiple of
 * read_size or prog_size, an unknown erase_value, prog_mode or
 * bad_behavior) is refused: returns NULL and writes a one-line reason into
 * err (if err is not NULL). */
bd_emu_t *bd_emu_create(const struct bd_emu_config *cfg, char *err, size_t errlen);
void bd_emu_destroy(bd_emu_t *bd);
/* The configuration in force (bad_behavior as last set). */
const struct bd_emu_config *bd_emu_geometry(const bd_emu_t *bd);
/* Restarts the device PRNG from seed; the ERASE_NONE baseline keeps the
 * configured seed.  Lets clones of one snapshot take different fault
 * choices. */
void bd_emu_reseed(bd_emu_t *bd, uint64_t seed);

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
 * (metastable bytes read as their current stored value), whether powered or
 * not, at any offset and size within a block. For inspection. */
int bd_emu_peek(const bd_emu_t *bd, uint32_t block, uint32_t off, void *buffer, uint32_t size);

/* ---- counters ----------------------------------------------------------
 * Every read/prog/erase/sync call that passes validation while the device
 * is powered counts, including calls that then fail on a bad block and the
 * call a power cut interrupts; bytes_* add the requested size (an erase:
 * block_size).  Refused calls (LFS_ERR_INVAL, or LFS_ERR_IO while off) do
 * not count.  Per-block counts: reads, progs, and wear = completed erases
 * of the block while it was good (a bad block does not wear further). */

struct bd_emu_counters {
    uint64_t reads, progs, erases, syncs;
    uint64_t bytes_read, bytes_progged, bytes_erased;
    uint64_t prog_violations;   /* progs (calls) whose range held non-erased
                                 * bytes (strict mode, erase value 0xff/0x00) */
};

void bd_emu_counters(const bd_emu_t *bd, struct bd_emu_counters *out);
void bd_emu_reset_counters(bd_emu_t *bd);   /* global and per-block read/prog; not wear */

uint32_t bd_emu_wear(const bd_emu_t *bd, uint32_t block);          /* erase count */
int bd_emu_set_wear(bd_emu_t *bd, uint32_t block, uint32_t wear);   /* start "old" */
uint32_t bd_emu_block_reads(const bd_emu_t *bd, uint32_t block);
uint32_t bd_emu_block_progs(const bd_emu_t *bd, uint32_t block);

/* ---- bad blocks --------------------------------------------------------- */

/* Marks a block bad (a factory bad-block list) with the configured
 * behaviour; bad=0 clears the mark. A block also goes bad when its wear
 * reaches erase_cycles (the erase that reaches it completes; later ops see
 * a bad block); bd_emu_set_wear() below the limit revives it.
 * Out-of-range blocks: LFS_ERR_INVAL. is_bad returns 1 or 0. */
int bd_emu_set_bad(bd_emu_t *bd, uint32_t block, int bad);
int bd_emu_is_bad(const bd_emu_t *bd, uint32_t block);
/* Changes the behaviour of all bad blocks; LFS_ERR_INVAL if unknown. */
int bd_emu_set_bad_behavior(bd_emu_t *bd, enum bd_emu_bad_behavior behavior);

/* ---- power loss --------------------------------------------------------- */

/* Called when a cut fires, after the fault has been applied, the device
 * marked off and the op traced. The runner longjmps out of it (the device
 * holds no temporary state then). If it returns, the interrupted call
 * returns LFS_ERR_IO, and so does every read/prog/erase/sync until
 * bd_emu_power_on(). cb may be NULL. */
typedef void (*bd_emu_powerloss_cb)(void *ctx);

/* Arms a cut at the n-th (1-based) counted prog, erase or sync from now
 * (n = 0 disarms). One shot: firing disarms. LFS_ERR_INVAL for an unknown
 * fault. */
int bd_emu_arm_powerloss(bd_emu_t *bd, uint64_t n, enum bd_emu_fault fault,
        bd_emu_powerloss_cb cb, void *ctx);
void bd_emu_disarm_powerloss(bd_emu_t *bd);
/* Progs + erases + syncs since the device was created (what a cut counts);
 * bd_emu_reset_counters() does not reset it. */
uint64_t bd_emu_write_ops(const bd_emu_t *bd);
int bd_emu_powered(const bd_emu_t *bd);
/* Powers the device back on; its contents are as the cut left them. */
void bd_emu_power_on(bd_emu_t *bd);

/* Applies `fault` as if a cut interrupted this prog (block, off, buffer,
 * size), erase (block; the rest ignored) or sync right now, then leaves the
 * device off, as a cut does. It is not counted, traced or wear-counted and
 * calls no callback; an armed cut stays armed. Useful to build a crashed
 * state directly in tests. Returns 0, LFS_ERR_INVAL (bad arguments, READ,
 * unknown fault) or LFS_ERR_IO (already off). */
int bd_emu_inject_fault(bd_emu_t *bd, enum bd_emu_op op, enum bd_emu_fault fault,
        uint32_t block, uint32_t off, const void *buffer, uint32_t size);

/* ---- bit flips ----------------------------------------------------------- */

/* Persistent flips of stored bits, at rest (not counted or traced; allowed
 * while off). Bit i is bit i%8 (LSB first) of byte i/8 of the block.
 * flip_random flips nbits distinct random bits. LFS_ERR_INVAL when out of
 * range. */
int bd_emu_flip_bit(bd_emu_t *bd, uint32_t block, uint32_t bit);
int bd_emu_flip_random(bd_emu_t *bd, uint32_t block, uint32_t nbits);
/* Read disturb: each bit read flips transiently with this probability
 * (0 disables). The stored data is not changed. LFS_ERR_INVAL outside
 * [0, 1]. */
int bd_emu_set_read_disturb(bd_emu_t *bd, double probability_per_bit);

/* ---- snapshots and hashing ------------------------------------------------ */

typedef struct bd_emu_snapshot bd_emu_snapshot_t;

/* O(1) in the contents (later writes copy only what they change), plus a
 * copy of the unsynced-write record (the blocks written since the last
 * sync). Contents (including metastable bits) and that record only. A snapshot stays valid after its device is
 * destroyed; NULL when out of memory. */
bd_emu_snapshot_t *bd_emu_snapshot(bd_emu_t *bd);
void bd_emu_snapshot_free(bd_emu_snapshot_t *snap);
/* Puts the device's contents back as they were at the snapshot, as synced
 * contents. Counters, wear, bad blocks, the PRNG, power state and arming
 * are not changed. The snapshot must come from this device or from a
 * clone sharing its lineage; else LFS_ERR_INVAL. */
int bd_emu_restore(bd_emu_t *bd, const bd_emu_snapshot_t *snap);
/* A new, independent device whose contents and unsynced-write record are
 * the snapshot's (an OUT_OF_ORDER cut on it reverts what the original
 * would); otherwise like a fresh bd_emu_create() of the same configuration (zero counters and
 * wear, no bad blocks, PRNG from the configured seed, powered on).  Shares
 * unchanged blocks with the snapshot. NULL when out of memory. */
bd_emu_t *bd_emu_clone(const bd_emu_snapshot_t *snap);
uint64_t bd_emu_snapshot_hash(const bd_emu_snapshot_t *snap);

/* Hash of the whole device's contents (stored bytes and metastable bits),
 * kept up to date incrementally: equal contents always give equal hashes,
 * whatever the history; a fresh device hashes to 0. O(1). Comparable
 * across devices of the same geometry and erase value (and seed, for
 * ERASE_NONE, whose baseline depends on it). */
uint64_t bd_emu_hash(const bd_emu_t *bd);

/* ---- images ------------------------------------------------------------------ */

/* Loads a raw flash dump (block_size * block_count bytes, the device's
 * byte layout) as synced contents; blocks equal to the baseline cost no
 * memory. A file of another size is refused with LFS_ERR_INVAL, an
 * unreadable one with LFS_ERR_IO; either way the device is unchanged. Not
 * counted, traced, or subject to power state. */
int bd_emu_load_image(bd_emu_t *bd, const char *path);
/* Writes all block_size * block_count bytes. LFS_ERR_IO on failure. */
int bd_emu_save_image(const bd_emu_t *bd, const char *path);
/* Heap bytes in use: the contents (shared with this device's snapshots and
 * clones, counted once for all of them), the sparse per-block counters and
 * the device's own buffers (3 * block_size). For the sparse-memory claim. */
size_t bd_emu_memory(const bd_emu_t *bd);

/* ---- trace ---------------------------------------------------------------- */

struct bd_emu_trace_event {
    enum bd_emu_op op;
    uint32_t block, off, size;
    int result;
};
typedef void (*bd_emu_trace_cb)(void *ctx, const struct bd_emu_trace_event *ev);
/* Every read/prog/erase/sync call, refused and failed ones included, is
 * reported after it completes (an erase as off 0, size block_size; a sync
 * as 0 0 0). A call cut by power loss reports LFS_ERR_IO, before the
 * power-loss callback. NULL stops tracing. */
void bd_emu_set_trace(bd_emu_t *bd, bd_emu_trace_cb cb, void *ctx);
/* One line per operation: "read|prog|erase|sync block off size result",
 * decimal, e.g. "prog 3 256 256 0". Independent of the callback. */
void bd_emu_set_trace_file(bd_emu_t *bd, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
