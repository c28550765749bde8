/*
 * lfs_fs_write.c - filesystem-wide janitorial calls: lfs_fs_gc and
 * lfs_fs_grow.
 *
 * gc repairs what a power loss left (as any first write does), compacts
 * every pair that is not known erased after its log or whose log is past
 * compact_thresh (default: 7/8 of a block), so later commits do not pay
 * for it, and refills the allocator's lookahead window.  grow records a
 * larger block count in the superblock; shrinking is not supported.
 *
 * Assumes the commit layer and the allocator.
 */
#include "lfs_internal.h"

/* A pair gc compacts: not known erased after its log, or past the
 * threshold. */
static bool lfs_fs_gcstale(const lfs_t *lfs, const lfs_mdir_t *dir) {
    const struct lfs_config *cfg = lfs->cfg;
    lfs_size_t thresh = cfg->compact_thresh ? cfg->compact_thresh
            : cfg->block_size - cfg->block_size/8;
    return !dir->erased || dir->off > thresh;
}

int lfs_fs_rawgc(lfs_t *lfs) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }

    const struct lfs_config *cfg = lfs->cfg;
    // a threshold that leaves less than a prog unit free achieves nothing
    if (cfg->compact_thresh < cfg->block_size - cfg->prog_size) {
        err = lfs_dir_compacteach(lfs, lfs_fs_gcstale);
        if (err) {
            return err;
        }
    }

    if (lfs->lookahead.size < 8*cfg->lookahead_size) {
        return lfs_alloc_scan(lfs);
    }
    return 0;
}

int lfs_fs_rawgrow(lfs_t *lfs, lfs_size_t block_count) {
    if (block_count < lfs->block_count
            || (lfs->cfg->block_count && block_count > lfs->cfg->block_count)) {
        return LFS_ERR_INVAL;
    }
    if (block_count == lfs->block_count) {
        return 0;
    }
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }

    lfs_size_t old = lfs->block_count;
    lfs->block_count = block_count;
    lfs_mdir_t root;
    err = lfs_mdir_fetch(lfs, &root, lfs->root);
    if (!err) {
        uint8_t raw[24];
        lfs_stag_t tag = lfs_mdir_get(lfs, &root, lfs_mktag(0x7ff, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_INLINESTRUCT, 0, sizeof(raw)), raw);
        err = tag < 0 ? (int)tag : 0;
        if (!err) {
            lfs_put_le32(&raw[8], block_count);
            struct lfs_mattr attr = {(lfs_tag_t)tag, raw};
            err = lfs_dir_commit(lfs, &root, &attr, 1);
        }
    }
    if (err) {
        lfs->block_count = old;
        return err;
    }
    lfs_alloc_drop(lfs);
    return 0;
}
