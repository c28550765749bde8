/*
 * lfs_format.c - creating an empty filesystem.
 *
 * The superblock pair is blocks {0, 1}: the allocator's window starts at
 * block 0 and the first pair allocated takes blocks 0 and 1.  Its one
 * entry (id 0) is the superblock: name "littlefs", an inline struct with
 * version, block size, block count, name/file/attr limits (24 bytes,
 * little-endian).  The pair is written twice, so both blocks hold a valid
 * littlefs log and no older filesystem's blocks can be mounted by
 * mistake; the result is then fetched back as a check.
 *
 * Assumes lfs_init/lfs_deinit (lfs_mount.c) and the commit layer.
 */
#include "lfs_internal.h"

int lfs_rawformat(lfs_t *lfs, const struct lfs_config *cfg) {
    if (cfg->block_count == 0 || !cfg->prog || !cfg->erase) {
        return LFS_ERR_INVAL;
    }
    int err = lfs_init(lfs, cfg);
    if (err) {
        return err;
    }

    // everything is free
    memset(lfs->lookahead.buffer, 0, cfg->lookahead_size);
    lfs->lookahead.start = 0;
    lfs->lookahead.size = lfs_min(8*cfg->lookahead_size, lfs->block_count);
    lfs->lookahead.next = 0;
    lfs_alloc_ckpoint(lfs);

    lfs_mdir_t root;
    err = lfs_dir_alloc(lfs, &root);
    if (err) {
        goto cleanup;
    }

    uint8_t superblock[24];
    lfs_put_le32(&superblock[0], lfs_fs_disk_version(lfs));
    lfs_put_le32(&superblock[4], cfg->block_size);
    lfs_put_le32(&superblock[8], lfs->block_count);
    lfs_put_le32(&superblock[12], lfs->name_max);
    lfs_put_le32(&superblock[16], lfs->file_max);
    lfs_put_le32(&superblock[20], lfs->attr_max);
    const struct lfs_mattr attrs[3] = {
        {lfs_mktag(LFS_TYPE_CREATE, 0, 0), NULL},
        {lfs_mktag(LFS_TYPE_SUPERBLOCK, 0, 8), "littlefs"},
        {lfs_mktag(LFS_TYPE_INLINESTRUCT, 0, sizeof(superblock)), superblock},
    };
    lfs->root[0] = root.pair[0];
    lfs->root[1] = root.pair[1];
    err = lfs_dir_commit(lfs, &root, attrs, 3);
    if (err) {
        goto cleanup;
    }

    // compact once more so both blocks are ours
    root.erased = false;
    err = lfs_dir_commit(lfs, &root, NULL, 0);
    if (err) {
        goto cleanup;
    }

    err = lfs_mdir_fetch(lfs, &root, (const lfs_block_t[2]){0, 1});

cleanup:
    lfs_deinit(lfs);
    return err;
}
