/*
 * lfs_mount.c - mounting: checking the configuration, finding the root
 * through the superblock, and summing the global state.
 *
 * Mount walks the threaded list of every metadata pair from {0, 1}.  Each
 * pair holding a superblock entry (name "littlefs", id 0) is checked: major
 * version 2 and minor at most 1 (2.0 and 2.1), block_size equal to the
 * config's, block_count equal to the config's unless that is 0 (then it is
 * taken from disk), and name_max/file_max/attr_max no larger than the
 * config allows (the disk's values then apply).  The last such pair is the
 * root.  Every pair's gstate delta is summed on the way.  A disk whose pair
 * {0, 1} has no superblock is not littlefs: the walk stops there, so no
 * tail is followed before the block count is known.
 *
 * Owns lfs_t's lifetime: the read and program cache buffers come from the
 * config or are allocated here (once) and freed at unmount.  Configuration
 * errors are LFS_ERR_INVAL, never assertions.
 */
#include "lfs_internal.h"

static int lfs_checkconfig(const struct lfs_config *cfg) {
    if (!cfg->read || cfg->read_size == 0 || cfg->prog_size == 0
            || cfg->block_size == 0 || cfg->cache_size == 0) {
        return LFS_ERR_INVAL;
    }
    if (cfg->cache_size % cfg->read_size != 0
            || cfg->cache_size % cfg->prog_size != 0
            || cfg->block_size % cfg->cache_size != 0) {
        return LFS_ERR_INVAL;
    }
    // a block must hold the most skip-list pointers a file can need
    if (cfg->block_size <= 2*4 || 4*lfs_npw2(0xffffffff
            / (cfg->block_size - 2*4)) > cfg->block_size) {
        return LFS_ERR_INVAL;
    }
    if (cfg->block_count == 1) {
        return LFS_ERR_INVAL;
    }
    if (cfg->name_max > LFS_NAME_MAX || cfg->file_max > LFS_FILE_MAX
            || cfg->attr_max > LFS_ATTR_MAX) {
        return LFS_ERR_INVAL;
    }
    // the write side: a lookahead window, metadata and inline limits
    if (cfg->lookahead_size == 0
            || cfg->metadata_max > cfg->block_size
            || (cfg->metadata_max && cfg->metadata_max < 128)
            || (cfg->compact_thresh > cfg->block_size
                && cfg->compact_thresh != (lfs_size_t)-1)) {
        return LFS_ERR_INVAL;
    }
    // an inline file is one tag (its length field stops at 1022, as
    // attr_max does), is rewritten from a cache at compaction, and takes
    // at most an eighth of a metadata block (littlefs's limits)
    lfs_size_t attr_max = cfg->attr_max ? cfg->attr_max : LFS_ATTR_MAX;
    if (cfg->inline_max && cfg->inline_max != (lfs_size_t)-1
            && (cfg->inline_max > cfg->cache_size
                || cfg->inline_max > attr_max
                || cfg->inline_max > (cfg->metadata_max ? cfg->metadata_max
                    : cfg->block_size) / 8)) {
        return LFS_ERR_INVAL;
    }
#ifdef LFS_MULTIVERSION
    // only the versions this core can write: 2.0, 2.1, or 0 for the newest
    if (cfg->disk_version && (cfg->disk_version >> 16 != LFS_DISK_VERSION_MAJOR
            || (cfg->disk_version & 0xffff) > LFS_DISK_VERSION_MINOR)) {
        return LFS_ERR_INVAL;
    }
#endif
    return 0;
}

void lfs_deinit(lfs_t *lfs) {
    if (!lfs->cfg->lookahead_buffer) {
        lfs_free(lfs->lookahead.buffer);
    }
    lfs->lookahead.buffer = NULL;
    if (!lfs->cfg->read_buffer) {
        lfs_free(lfs->rcache.buffer);
    }
    if (!lfs->cfg->prog_buffer) {
        lfs_free(lfs->pcache.buffer);
    }
    lfs->rcache.buffer = NULL;
    lfs->pcache.buffer = NULL;
}

int lfs_init(lfs_t *lfs, const struct lfs_config *cfg) {
    int err = lfs_checkconfig(cfg);
    if (err) {
        return err;
    }
    lfs->cfg = cfg;
    lfs->block_count = cfg->block_count;
    lfs->name_max = cfg->name_max ? cfg->name_max : LFS_NAME_MAX;
    lfs->file_max = cfg->file_max ? cfg->file_max : LFS_FILE_MAX;
    lfs->attr_max = cfg->attr_max ? cfg->attr_max : LFS_ATTR_MAX;
    lfs->root[0] = LFS_BLOCK_NULL;
    lfs->root[1] = LFS_BLOCK_NULL;
    memset(&lfs->gstate, 0, sizeof(lfs->gstate));
    memset(&lfs->gdisk, 0, sizeof(lfs->gdisk));
    lfs->seed = 0;
    lfs->disk_version = 0;
    lfs->mlist = NULL;
    memset(&lfs->gdelta, 0, sizeof(lfs->gdelta));
    lfs->needssuperblock = false;
    lfs->gunknown = false;
    memset(&lfs->lookahead, 0, sizeof(lfs->lookahead));
    lfs_settle_reset(lfs);
    // littlefs's default: what fits a cache, an attribute, and an eighth
    // of a metadata block
    if (cfg->inline_max == (lfs_size_t)-1) {
        lfs->inline_max = 0;
    } else if (cfg->inline_max == 0) {
        lfs->inline_max = lfs_min(cfg->cache_size, lfs_min(lfs->attr_max,
                (cfg->metadata_max ? cfg->metadata_max
                    : cfg->block_size) / 8));
    } else {
        lfs->inline_max = cfg->inline_max;
    }

    lfs->rcache.buffer = cfg->read_buffer ? cfg->read_buffer
            : lfs_malloc(cfg->cache_size);
    lfs->pcache.buffer = cfg->prog_buffer ? cfg->prog_buffer
            : lfs_malloc(cfg->cache_size);
    lfs->lookahead.buffer = cfg->lookahead_buffer ? cfg->lookahead_buffer
            : lfs_malloc(cfg->lookahead_size);
    // reached only when lfs_malloc fails (no test injects that)
    if (!lfs->rcache.buffer || !lfs->pcache.buffer
            || !lfs->lookahead.buffer) {
        lfs_deinit(lfs);
        return LFS_ERR_NOMEM;
    }
    lfs_cache_zero(lfs, &lfs->rcache);
    lfs_cache_zero(lfs, &lfs->pcache);
    return 0;
}

/* Check the superblock entry of dir against the configuration and take
 * the disk's geometry and limits. */
static int lfs_mount_superblock(lfs_t *lfs, const lfs_mdir_t *dir) {
    uint8_t raw[24];
    lfs_stag_t tag = lfs_mdir_get(lfs, dir, lfs_mktag(0x7ff, 0x3ff, 0),
            lfs_mktag(LFS_TYPE_INLINESTRUCT, 0, sizeof(raw)), raw);
    if (tag < 0) {
        return (int)tag;
    }
    uint32_t version = lfs_get_le32(&raw[0]);
    lfs_size_t block_size = lfs_get_le32(&raw[4]);
    lfs_size_t block_count = lfs_get_le32(&raw[8]);
    lfs_size_t name_max = lfs_get_le32(&raw[12]);
    lfs_size_t file_max = lfs_get_le32(&raw[16]);
    lfs_size_t attr_max = lfs_get_le32(&raw[20]);

    // a disk newer than the version this mount writes is refused, so a
    // driver configured for 2.0 never touches a 2.1 disk
    uint32_t major = version >> 16;
    uint32_t minor = version & 0xffff;
    if (major != lfs_fs_disk_version(lfs) >> 16
            || minor > (lfs_fs_disk_version(lfs) & 0xffff)) {
        return LFS_ERR_INVAL;
    }

    if (name_max) {
        if (name_max > lfs->name_max) {
            return LFS_ERR_INVAL;
        }
        lfs->name_max = name_max;
    }
    if (file_max) {
        if (file_max > lfs->file_max) {
            return LFS_ERR_INVAL;
        }
        lfs->file_max = file_max;
    }
    if (attr_max) {
        if (attr_max > lfs->attr_max) {
            return LFS_ERR_INVAL;
        }
        lfs->attr_max = attr_max;
        // an inline file must stay within what the disk allows a tag
        lfs->inline_max = lfs_min(lfs->inline_max, attr_max);
    }

    if (lfs->cfg->block_count && block_count != lfs->cfg->block_count) {
        return LFS_ERR_INVAL;
    }
    if (block_size != lfs->cfg->block_size) {
        return LFS_ERR_INVAL;
    }
    if (block_count < 2 || dir->pair[0] >= block_count
            || dir->pair[1] >= block_count) {
        return LFS_ERR_CORRUPT;
    }
    lfs->block_count = block_count;

    lfs->root[0] = dir->pair[0];
    lfs->root[1] = dir->pair[1];
    lfs->disk_version = version;
    return 0;
}

int lfs_rawmount(lfs_t *lfs, const struct lfs_config *cfg) {
    int err = lfs_init(lfs, cfg);
    if (err) {
        return err;
    }

    lfs_mdir_t dir = {.tail = {0, 1}};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    bool first = true;

    while (!lfs_pair_isnull(dir.tail)) {
        err = lfs_chainwalk_step(&walk, dir.tail);
        if (err) {
            goto cleanup;
        }

        struct lfs_mdir_name magic = {lfs, "littlefs", 8};
        lfs_stag_t tag = lfs_mdir_fetchmatch(lfs, &dir, dir.tail,
                lfs_mktag(0x7ff, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_SUPERBLOCK, 0, 8),
                NULL, lfs_mdir_namecmp, &magic);
        // a superblock entry with another magic is no superblock
        if (tag == LFS_ERR_NOENT) {
            tag = 0;
        }
        if (tag < 0) {
            err = (int)tag;
            goto cleanup;
        }

        if (tag && !lfs_tag_isdelete((lfs_tag_t)tag)) {
            err = lfs_mount_superblock(lfs, &dir);
            if (err) {
                goto cleanup;
            }
        } else if (first) {
            err = LFS_ERR_INVAL;
            goto cleanup;
        }
        first = false;

        err = lfs_gstate_collect(lfs, &dir, &lfs->gstate);
        if (err) {
            goto cleanup;
        }
    }

    // the first pair held a superblock (else the loop failed), so the root
    // is set
    lfs_gstate_finish(&lfs->gstate);
    lfs->gdisk = lfs->gstate;

    // an older minor version is rewritten at the first write
    lfs->needssuperblock = (lfs->disk_version & 0xffff)
            < (lfs_fs_disk_version(lfs) & 0xffff);
    // allocation starts somewhere that depends on the disk's contents
    lfs->lookahead.start = lfs->seed % lfs->block_count;
    lfs_alloc_drop(lfs);
    return 0;

cleanup:
    lfs_deinit(lfs);
    return err;
}

int lfs_rawunmount(lfs_t *lfs) {
    lfs_deinit(lfs);
    return 0;
}
