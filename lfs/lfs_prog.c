/*
 * lfs_prog.c - programming and erasing through a program cache.
 *
 * Owns the write-side cache rules: a program cache (pcache) gathers bytes
 * of one block starting at a prog_size boundary and is written out when
 * it fills, when a flush is asked for, or before another block is
 * programmed; what is written is the cached bytes rounded up to prog_size
 * (the pad bytes are the cache's erased-looking 0xff).  With validate,
 * every flushed range is read back and compared, so a prog that silently
 * did not stick reads as LFS_ERR_CORRUPT and the caller relocates.
 *
 * A configuration without prog or erase callbacks (a read-only device)
 * gets LFS_ERR_IO at the first write.  Assumes lfs_cache.c for reads and
 * that callers only ever program bytes that are erased (the log and skip-list layouts guarantee it).  Any read
 * cache that may hold the block being changed is dropped.
 */
#include "lfs_internal.h"

static int lfs_device_result(int err) {
    return err > 0 ? LFS_ERR_IO : err;
}

int lfs_bd_flush(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate) {
    if (pcache->block == LFS_BLOCK_NULL || pcache->block == LFS_BLOCK_INLINE) {
        return 0;
    }
    // defensive: lfs_bd_prog range-checks every block before it is cached
    if (pcache->block >= lfs->block_count) {
        return LFS_ERR_CORRUPT;
    }
    if (!lfs->cfg->prog) {
        return LFS_ERR_IO;
    }
    lfs_size_t diff = lfs_alignup(pcache->size, lfs->cfg->prog_size);
    lfs_cache_drop(rcache);
    lfs_cache_drop(&lfs->rcache);
    int err = lfs_device_result(lfs->cfg->prog(lfs->cfg, pcache->block,
            pcache->off, pcache->buffer, diff));
    if (err) {
        return err;
    }
    if (validate) {
        int res = lfs_bd_cmp(lfs, NULL, rcache, diff,
                pcache->block, pcache->off, pcache->buffer, diff);
        if (res < 0) {
            // the bytes are progged all the same: a later flush must not
            // prog them again
            lfs_cache_zero(lfs, pcache);
            return res;
        }
        if (res != LFS_CMP_EQ) {
            return LFS_ERR_CORRUPT;
        }
    }
    lfs_cache_zero(lfs, pcache);
    return 0;
}

int lfs_bd_sync(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate) {
    lfs_cache_drop(rcache);
    int err = lfs_bd_flush(lfs, pcache, rcache, validate);
    if (err) {
        return err;
    }
    if (!lfs->cfg->sync) {
        return 0;
    }
    return lfs_device_result(lfs->cfg->sync(lfs->cfg));
}

int lfs_bd_prog(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate, lfs_block_t block, lfs_off_t off,
        const void *buffer, lfs_size_t size) {
    const uint8_t *data = buffer;
    const lfs_size_t cache_size = lfs->cfg->cache_size;
    // LFS_BLOCK_INLINE: an inline file's data, gathered in its cache.
    // Defensive: no caller is known to pass a block out of range (the
    // allocator and checked fetches bound them); kept so one fails cleanly
    if ((block != LFS_BLOCK_INLINE && block >= lfs->block_count)
            || off > lfs->cfg->block_size
            || size > lfs->cfg->block_size - off) {
        return LFS_ERR_CORRUPT;
    }

    while (size > 0) {
        if (block == pcache->block && off >= pcache->off
                && off < pcache->off + cache_size) {
            lfs_size_t diff = lfs_min(size, cache_size - (off - pcache->off));
            memcpy(&pcache->buffer[off - pcache->off], data, diff);
            data += diff;
            off += diff;
            size -= diff;
            pcache->size = lfs_max(pcache->size, off - pcache->off);
            if (pcache->size == cache_size) {
                int err = lfs_bd_flush(lfs, pcache, rcache, validate);
                if (err) {
                    return err;
                }
            }
            continue;
        }

        // another block or range: write out what the cache holds first
        int err = lfs_bd_flush(lfs, pcache, rcache, validate);
        if (err) {
            return err;
        }
        pcache->block = block;
        pcache->off = lfs_aligndown(off, lfs->cfg->prog_size);
        pcache->size = 0;
    }
    return 0;
}

int lfs_bd_erase(lfs_t *lfs, lfs_block_t block) {
    // defensive, as in lfs_bd_prog: erased blocks come from the allocator
    if (block >= lfs->block_count) {
        return LFS_ERR_CORRUPT;
    }
    if (!lfs->cfg->erase) {
        return LFS_ERR_IO;
    }
    // reached only if the block read last is erased next: lfs_dir_alloc's
    // revision read comes closest, but the compaction after it erases the
    // pair's other block; no sequence found that gets here
    if (lfs->rcache.block == block) {
        lfs_cache_drop(&lfs->rcache);
    }
    return lfs_device_result(lfs->cfg->erase(lfs->cfg, block));
}
