/*
 * lfs_cache.c - the block cache: every byte the core reads from the device
 * goes through here.
 *
 * Owns the read cache rules: device reads start at a multiple of read_size
 * and are a multiple of read_size long, a cache holds at most cache_size
 * bytes of one block, and a read that a caller expects to extend ("hint")
 * loads that much ahead.  Reads that are aligned and at least as long as
 * their hint bypass the cache.  A program cache (pcache), when given, holds
 * bytes not yet written to the device and takes priority; the write path
 * fills it.
 *
 * Assumes the configuration was checked at mount (read_size divides
 * cache_size, cache_size divides block_size).  Every request is checked
 * against block_size and the block count, so nothing read from disk can
 * make the core ask the device for bytes outside it.
 */
#include "lfs_internal.h"

void lfs_cache_drop(lfs_cache_t *cache) {
    cache->block = LFS_BLOCK_NULL;
    cache->off = 0;
    cache->size = 0;
}

void lfs_cache_zero(const lfs_t *lfs, lfs_cache_t *cache) {
    memset(cache->buffer, 0xff, lfs->cfg->cache_size);
    lfs_cache_drop(cache);
}

/* Copy from a cache holding [cache->off, cache->off+size) of block, if it
 * covers off; otherwise narrow *diff so a read stops where it starts. */
static bool lfs_cache_take(const lfs_cache_t *cache, lfs_block_t block,
        lfs_off_t off, uint8_t *data, lfs_size_t *diff) {
    if (cache->block != block || off >= cache->off + cache->size) {
        return false;
    }
    if (off >= cache->off) {
        *diff = lfs_min(*diff, cache->size - (off - cache->off));
        memcpy(data, &cache->buffer[off - cache->off], *diff);
        return true;
    }
    *diff = lfs_min(*diff, cache->off - off);
    return false;
}

static int lfs_device_read(lfs_t *lfs, lfs_block_t block, lfs_off_t off,
        void *buffer, lfs_size_t size) {
    int err = lfs->cfg->read(lfs->cfg, block, off, buffer, size);
    return err > 0 ? LFS_ERR_IO : err;
}

int lfs_bd_read(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off,
        void *buffer, lfs_size_t size) {
    const lfs_size_t block_size = lfs->cfg->block_size;
    const lfs_size_t read_size = lfs->cfg->read_size;
    uint8_t *data = buffer;

    if (off > block_size || size > block_size - off
            || block == LFS_BLOCK_NULL || block == LFS_BLOCK_INLINE
            || (lfs->block_count && block >= lfs->block_count)) {
        return LFS_ERR_CORRUPT;
    }
    hint = lfs_max(hint, size);

    while (size > 0) {
        lfs_size_t diff = size;

        if (pcache && lfs_cache_take(pcache, block, off, data, &diff)) {
            data += diff;
            off += diff;
            size -= diff;
            continue;
        }
        if (lfs_cache_take(rcache, block, off, data, &diff)) {
            data += diff;
            off += diff;
            size -= diff;
            continue;
        }

        if (size >= hint && off % read_size == 0
                && lfs_aligndown(diff, read_size) > 0) {
            // large aligned read: straight from the device
            diff = lfs_aligndown(diff, read_size);
            int err = lfs_device_read(lfs, block, off, data, diff);
            if (err) {
                return err;
            }
            data += diff;
            off += diff;
            size -= diff;
            continue;
        }

        // load the cache with what the caller will want next; it starts at
        // or before off, so the next pass copies from it
        rcache->block = block;
        rcache->off = lfs_aligndown(off, read_size);
        rcache->size = lfs_min(
                lfs_min(lfs_alignup(off + hint, read_size), block_size)
                    - rcache->off,
                lfs->cfg->cache_size);
        int err = lfs_device_read(lfs, block, rcache->off,
                rcache->buffer, rcache->size);
        if (err) {
            lfs_cache_drop(rcache);
            return err;
        }
    }

    return 0;
}

int lfs_bd_crc(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off, lfs_size_t size,
        uint32_t *crc) {
    uint8_t chunk[16];
    for (lfs_off_t i = 0; i < size; i += sizeof(chunk)) {
        lfs_size_t diff = lfs_min(size - i, sizeof(chunk));
        int err = lfs_bd_read(lfs, pcache, rcache, hint - lfs_min(hint, i),
                block, off + i, chunk, diff);
        if (err) {
            return err;
        }
        *crc = lfs_crc(*crc, chunk, diff);
    }
    return 0;
}

int lfs_bd_cmp(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off,
        const void *buffer, lfs_size_t size) {
    const uint8_t *data = buffer;
    uint8_t chunk[16];
    for (lfs_off_t i = 0; i < size; i += sizeof(chunk)) {
        lfs_size_t diff = lfs_min(size - i, sizeof(chunk));
        int err = lfs_bd_read(lfs, pcache, rcache, hint - lfs_min(hint, i),
                block, off + i, chunk, diff);
        if (err) {
            return err;
        }
        int res = memcmp(chunk, data + i, diff);
        if (res) {
            return res < 0 ? LFS_CMP_LT : LFS_CMP_GT;
        }
    }
    return LFS_CMP_EQ;
}
