/*
 * snapshot.c - copy-on-write snapshots of the whole device, restore, clone,
 * and the content hash accessors.
 *
 * A snapshot is one reference to the current radix-tree root plus the hash:
 * O(1) to take, and later writes to the device copy only the nodes and
 * blocks they change (store.c).  Snapshots own their references, so they
 * outlive the device they came from.  Captured: the contents and the
 * unsynced-write record (the contents at the last sync and the blocks
 * written since, O(blocks written since the sync)), so a clone can lose
 * unsynced writes to an out-of-order cut as the device would.  Counters,
 * wear, bad blocks, the PRNG, power state and arming stay with the device.
 */
#include "bd_emu_internal.h"

#include <stdlib.h>
#include <string.h>

struct bd_emu_snapshot {
    struct bde_pool *pool;
    struct bde_node *root;
    struct bde_node *sync_base;
    uint32_t *dirty;            /* blocks written since the last sync */
    size_t ndirty;
    uint64_t hash;
};

bd_emu_snapshot_t *bd_emu_snapshot(bd_emu_t *bd)
{
    bd_emu_snapshot_t *snap = malloc(sizeof *snap);
    uint32_t *dirty = malloc((bd->ndirty ? bd->ndirty : 1) * sizeof *dirty);
    if (!snap || !dirty) {
        free(snap);
        free(dirty);
        return NULL;
    }
    if (bd->ndirty) {   /* bd->dirty may be NULL when nothing is dirty */
        memcpy(dirty, bd->dirty, bd->ndirty * sizeof *dirty);
    }
    bde_pool_ref(bd->pool);
    snap->pool = bd->pool;
    snap->root = bde_node_ref(bd->root);
    snap->sync_base = bde_node_ref(bd->sync_base);
    snap->dirty = dirty;
    snap->ndirty = bd->ndirty;
    snap->hash = bd->hash;
    return snap;
}

void bd_emu_snapshot_free(bd_emu_snapshot_t *snap)
{
    if (!snap) {
        return;
    }
    bde_node_release(snap->pool, snap->root);
    bde_node_release(snap->pool, snap->sync_base);
    bde_pool_unref(snap->pool);
    free(snap->dirty);
    free(snap);
}

int bd_emu_restore(bd_emu_t *bd, const bd_emu_snapshot_t *snap)
{
    if (!bd || !snap || snap->pool != bd->pool) {
        return LFS_ERR_INVAL;
    }
    struct bde_node *root = bde_node_ref(snap->root);
    bde_node_release(bd->pool, bd->root);
    bd->root = root;
    bd->hash = snap->hash;
    return bde_settle(bd);
}

bd_emu_t *bd_emu_clone(const bd_emu_snapshot_t *snap)
{
    bd_emu_t *bd = snap ? bde_device_new(snap->pool, snap->root, snap->hash) : NULL;
    if (!bd) {
        return NULL;
    }
    struct bde_node *base = bde_node_ref(snap->sync_base);
    bde_node_release(bd->pool, bd->sync_base);
    bd->sync_base = base;
    for (size_t i = 0; i < snap->ndirty; i++) {
        if (bde_mark_dirty(bd, snap->dirty[i]) < 0) {
            bd_emu_destroy(bd);
            return NULL;
        }
    }
    return bd;
}

uint64_t bd_emu_snapshot_hash(const bd_emu_snapshot_t *snap)
{
    return snap->hash;
}

uint64_t bd_emu_hash(const bd_emu_t *bd)
{
    return bd->hash;
}
