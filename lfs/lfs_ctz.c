/*
 * lfs_ctz.c - CTZ skip-lists: how a file's blocks are laid out and found.
 *
 * A file of size N is a list of blocks stored backwards from its head (the
 * last block).  Block 0 holds block_size bytes of data; block n > 0 starts
 * with ctz(n)+1 little-endian pointers, the i-th to block n - 2^i, and
 * holds data after them.  So blocks 0..n-1 hold
 *     n*B - 4*(2*(n-1) - popcount(n-1))   bytes (n >= 1, B = block_size),
 * which lfs_ctz_index inverts in O(1).  Finding a position follows the
 * longest pointer that does not overshoot: O(log n) block reads.
 *
 * Assumes block_size was checked at mount to hold the most pointers a
 * 32-bit file size can need.  Pointers read from disk are checked against
 * the block count before they are used or handed to a callback.
 */
#include "lfs_internal.h"

/* Index of the block holding byte *off of a skip-list; *off becomes the
 * offset of that byte in the block. */
lfs_off_t lfs_ctz_index(lfs_size_t block_size, lfs_off_t *off) {
    const lfs_off_t pos = *off;
    const lfs_size_t b = block_size - 2*4;
    lfs_off_t i = pos / b;
    if (i == 0) {
        return 0;
    }
    // pos/b overestimates the index by at most the popcount slack
    i = (pos - 4*(lfs_popc(i - 1) + 2)) / b;
    *off = pos - b*i - 4*lfs_popc(i);
    return i;
}

/* A skip-list that cannot be on this disk: head out of range, or more
 * blocks than the disk has. */
int lfs_ctz_check(const lfs_t *lfs, lfs_block_t head, lfs_size_t size) {
    if (size == 0) {
        return 0;
    }
    lfs_off_t last = size - 1;
    lfs_off_t index = lfs_ctz_index(lfs->cfg->block_size, &last);
    if (head >= lfs->block_count || index >= lfs->block_count) {
        return LFS_ERR_CORRUPT;
    }
    return 0;
}

int lfs_ctz_find(lfs_t *lfs, lfs_cache_t *rcache,
        lfs_block_t head, lfs_size_t size, lfs_off_t pos,
        lfs_block_t *block, lfs_off_t *off) {
    // unreachable from the core (every caller passes pos < size); kept so
    // an empty list is never indexed
    if (size == 0) {
        *block = LFS_BLOCK_NULL;
        *off = 0;
        return 0;
    }

    lfs_off_t last = size - 1;
    lfs_off_t current = lfs_ctz_index(lfs->cfg->block_size, &last);
    lfs_off_t target = lfs_ctz_index(lfs->cfg->block_size, &pos);

    while (current > target) {
        // the longest jump this block has that does not pass the target
        lfs_size_t skip = lfs_min(lfs_npw2(current - target + 1) - 1,
                lfs_ctz(current));
        uint8_t raw[4];
        int err = lfs_bd_read(lfs, NULL, rcache, 4, head, 4*skip, raw, 4);
        if (err) {
            return err;
        }
        head = lfs_get_le32(raw);
        if (head >= lfs->block_count) {
            return LFS_ERR_CORRUPT;
        }
        current -= (lfs_off_t)1 << skip;
    }

    *block = head;
    *off = pos;
    return 0;
}

/* Call cb on every block of the skip-list, head first.  Blocks with an odd
 * index have one pointer; with an even index two are read, so every block
 * is visited once with one read per one or two blocks. */
int lfs_ctz_traverse(lfs_t *lfs, lfs_cache_t *rcache,
        lfs_block_t head, lfs_size_t size,
        int (*cb)(void *data, lfs_block_t block), void *data) {
    if (size == 0) {
        return 0;
    }
    int err = lfs_ctz_check(lfs, head, size);
    if (err) {
        return err;
    }

    lfs_off_t last = size - 1;
    lfs_off_t index = lfs_ctz_index(lfs->cfg->block_size, &last);

    while (true) {
        err = cb(data, head);
        if (err) {
            return err;
        }
        if (index == 0) {
            return 0;
        }

        lfs_size_t count = 2 - (index & 1);
        uint8_t raw[8] = {0};
        err = lfs_bd_read(lfs, NULL, rcache, 4*count, head, 0, raw, 4*count);
        if (err) {
            return err;
        }
        lfs_block_t heads[2] = {lfs_get_le32(&raw[0]), lfs_get_le32(&raw[4])};
        for (lfs_size_t i = 0; i < count; i++) {
            if (heads[i] >= lfs->block_count) {
                return LFS_ERR_CORRUPT;
            }
        }
        if (count == 2) {
            err = cb(data, heads[0]);
            if (err) {
                return err;
            }
        }
        head = heads[count - 1];
        index -= count;
    }
}
