/*
 * lfs_alloc.c - the block allocator: a lookahead bitmap over a window of
 * the disk, refilled by traversing everything in use.
 *
 * The window covers lookahead_size*8 blocks from `start`; a set bit is a
 * block in use.  Blocks are handed out in order from `next`; when the
 * window is used up it slides forward (wrapping around the disk) and is
 * refilled by one traversal of the filesystem, open files included.
 * `ckpoint` counts how many more blocks may be looked at before the disk
 * counts as full: callers reset it (lfs_alloc_ckpoint) whenever every
 * block they allocated is reachable from the filesystem, so a full disk
 * gives LFS_ERR_NOSPC after one lap instead of spinning, and the
 * filesystem stays usable afterwards.  The window starts at a position
 * seeded from the commit CRCs seen at mount, so wear spreads across
 * reboots.
 *
 * Assumes lfs_fs_rawtraverse (with orphans, so half-relocated pairs are
 * kept), lfs_fs_traversehalforphans (the contents of a relocated pair the
 * threaded list does not reach yet) and lfs_file_traverseopen for what
 * is in use.
 */
#include "lfs_internal.h"

void lfs_alloc_ckpoint(lfs_t *lfs) {
    lfs->lookahead.ckpoint = lfs->block_count;
}

void lfs_alloc_drop(lfs_t *lfs) {
    lfs->lookahead.size = 0;
    lfs->lookahead.next = 0;
    lfs_alloc_ckpoint(lfs);
}

static int lfs_alloc_mark(void *data, lfs_block_t block) {
    lfs_t *lfs = data;
    // defensive, unreachable: every traversal range-checks a block before
    // it reports it (pairs, skip-list heads and pointers alike)
    if (block >= lfs->block_count) {
        return LFS_ERR_CORRUPT;
    }
    lfs_block_t off = (block + lfs->block_count - lfs->lookahead.start)
            % lfs->block_count;
    if (off < lfs->lookahead.size) {
        lfs->lookahead.buffer[off / 8] |= (uint8_t)(1u << (off % 8));
    }
    return 0;
}

int lfs_alloc_scan(lfs_t *lfs) {
    lfs->lookahead.start = (lfs->lookahead.start + lfs->lookahead.next)
            % lfs->block_count;
    lfs->lookahead.next = 0;
    // never look further than the checkpoint allows
    lfs->lookahead.size = lfs_min(8*lfs->cfg->lookahead_size,
            lfs->lookahead.ckpoint);
    memset(lfs->lookahead.buffer, 0, lfs->cfg->lookahead_size);

    int err = lfs_fs_rawtraverse(lfs, lfs_alloc_mark, lfs, true);
    if (!err) {
        err = lfs_fs_traversehalforphans(lfs, lfs_alloc_mark, lfs);
    }
    if (!err) {
        err = lfs_file_traverseopen(lfs, lfs_alloc_mark, lfs);
    }
    if (err) {
        lfs_alloc_drop(lfs);
        return err;
    }
    return 0;
}

int lfs_alloc(lfs_t *lfs, lfs_block_t *block) {
    while (true) {
        while (lfs->lookahead.next < lfs->lookahead.size) {
            lfs_block_t next = lfs->lookahead.next;
            lfs->lookahead.next += 1;
            lfs->lookahead.ckpoint -= 1;
            if (!(lfs->lookahead.buffer[next / 8] & (1u << (next % 8)))) {
                *block = (lfs->lookahead.start + next) % lfs->block_count;
                return 0;
            }
        }

        if (lfs->lookahead.ckpoint == 0) {
            return LFS_ERR_NOSPC;
        }
        int err = lfs_alloc_scan(lfs);
        if (err) {
            return err;
        }
    }
}
