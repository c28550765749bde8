/*
 * snapshot.c - copy-on-write snapshots of the whole device, restore, clone,
 * and the content hash accessors.
 *
 * A snapshot is one reference to the current radix-tree root plus the hash:
 * O(1) to take, and later writes to the device copy only the nodes and
 * blocks they change (store.c).  Snapshots own their references, so they
 * outlive the device they came from.  Only contents are captured: counters,
 * wear, bad blocks, the PRNG, power state and arming stay with the device.
 */
#include "bd_emu_internal.h"

#include <stdlib.h>

struct bd_emu_snapshot {
    struct bde_pool *pool;
    struct bde_node *root;
    uint64_t hash;
};

bd_emu_snapshot_t *bd_emu_snapshot(bd_emu_t *bd)
{
    bd_emu_snapshot_t *snap = malloc(sizeof *snap);
    if (!snap) {
        return NULL;
    }
    bde_pool_ref(bd->pool);
    snap->pool = bd->pool;
    snap->root = bde_node_ref(bd->root);
    snap->hash = bd->hash;
    return snap;
}

void bd_emu_snapshot_free(bd_emu_snapshot_t *snap)
{
    if (!snap) {
        return;
    }
    bde_node_release(snap->pool, snap->root);
    bde_pool_unref(snap->pool);
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
    return snap ? bde_device_new(snap->pool, snap->root, snap->hash) : NULL;
}

uint64_t bd_emu_snapshot_hash(const bd_emu_snapshot_t *snap)
{
    return snap->hash;
}

uint64_t bd_emu_hash(const bd_emu_t *bd)
{
    return bd->hash;
}
