/*
 * lfs_settle.c - which metadata logs this mount may append to.
 *
 * A power cut in the middle of a prog can leave the cut bytes metastable:
 * each read returns them programmed or not, at random, until the block is
 * erased.  If those bytes belong to the last commit of a pair, that commit
 * checks on one fetch and fails on the next, and nothing on disk tells it
 * from a good commit.  Appending after it would make every later commit
 * of the pair vanish whenever it reads wrong: writes that reported success
 * would come and go.
 *
 * So a pair is appended to only when this mount wrote its newest commit
 * itself; any other pair is compacted before its first commit.  The
 * compaction copies the log as one fetch read it into a freshly erased
 * block with a higher revision, and no later fetch looks at the cut bytes
 * again.  (A commit whose unstable bytes hold tags, not just its CRC, is
 * copied as the compaction re-reads it; with k unstable bits that read
 * follows a good check with odds below 2^-k, see docs/design.md.)
 *
 * Memory stays bounded: the blocks this mount wrote are kept in a ring of
 * LFS_SETTLE_RING entries.  Once a mount writes more pairs than that, the
 * next operation that starts writing settles every pair at once (one
 * compaction each) and from then on appends freely; lfs_fs_mkconsistent
 * does the same.  A mount that only reads writes nothing, as in littlefs:
 * until the first write its reads of such a commit may disagree.
 *
 * Assumes the commit layer (lfs_dir_commit, lfs_dir_compacteach).
 */
#include "lfs_internal.h"

void lfs_settle_reset(lfs_t *lfs) {
    for (int i = 0; i < LFS_SETTLE_RING; i++) {
        lfs->settle.ring[i] = LFS_BLOCK_NULL;
    }
    lfs->settle.next = 0;
    lfs->settle.overflowed = false;
    lfs->settle.all = false;
}

bool lfs_settle_canappend(const lfs_t *lfs, const lfs_mdir_t *dir) {
    if (lfs->settle.all) {
        return true;
    }
    for (int i = 0; i < LFS_SETTLE_RING; i++) {
        if (lfs->settle.ring[i] == dir->pair[0]) {
            return true;
        }
    }
    return false;
}

void lfs_settle_wrote(lfs_t *lfs, const lfs_mdir_t *dir) {
    if (lfs_settle_canappend(lfs, dir)) {
        return;
    }
    if (lfs->settle.ring[lfs->settle.next] != LFS_BLOCK_NULL) {
        lfs->settle.overflowed = true;
    }
    lfs->settle.ring[lfs->settle.next] = dir->pair[0];
    lfs->settle.next = (uint8_t)((lfs->settle.next + 1) % LFS_SETTLE_RING);
}

static bool lfs_settle_unsettled(const lfs_t *lfs, const lfs_mdir_t *dir) {
    return !lfs_settle_canappend(lfs, dir);
}

int lfs_settle_all(lfs_t *lfs) {
    if (lfs->settle.all) {
        return 0;
    }
    int err = lfs_dir_compacteach(lfs, lfs_settle_unsettled);
    if (err) {
        return err;
    }
    lfs->settle.all = true;
    return 0;
}

int lfs_settle_ifoverflowed(lfs_t *lfs) {
    return lfs->settle.overflowed ? lfs_settle_all(lfs) : 0;
}
