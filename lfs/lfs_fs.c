/*
 * lfs_fs.c - filesystem-wide reads: custom attributes, filesystem info,
 * and the traversal of every block in use.
 *
 * Traversal follows the threaded list of all metadata pairs from {0, 1}
 * (Brent's cycle detection bounds it) and, in each pair, every entry's
 * skip-list; with includeorphans it also reports the pairs directory
 * entries point to, so pairs half-way through a relocation are counted.
 * lfs_fs_size counts reported blocks without orphans, as littlefs does.
 * While gstate counts orphans, a directory's entry may point at a pair
 * whose contents the list does not reach yet (a relocation whose
 * predecessor still has the old tail); lfs_fs_traversehalforphans reports
 * those contents, for the allocator.
 * The root's attributes live on the superblock entry (id 0 of the root).
 *
 * Assumes a mounted lfs (root, block_count, limits known), lfs_dir.c for
 * lookups, the mdir layer for tags, lfs_ctz.c for skip-lists.  Blocks
 * read from disk are checked against the block count before a callback
 * sees them.
 */
#include "lfs_internal.h"

lfs_ssize_t lfs_rawgetattr(lfs_t *lfs, const char *path,
        uint8_t type, void *buffer, lfs_size_t size) {
    lfs_mdir_t cwd;
    lfs_stag_t tag = lfs_dir_lookup(lfs, &cwd, &path, NULL);
    if (tag < 0) {
        return tag;
    }

    uint32_t id = lfs_tag_id((lfs_tag_t)tag);
    if (id == LFS_ID_NONE) {
        id = 0;
        int err = lfs_mdir_fetch(lfs, &cwd, lfs->root);
        if (err) {
            return err;
        }
    }

    tag = lfs_mdir_get(lfs, &cwd, lfs_mktag(0x7ff, 0x3ff, 0),
            lfs_mktag(LFS_TYPE_USERATTR + type, id,
                lfs_min(size, lfs->attr_max)),
            buffer);
    if (tag < 0) {
        return tag == LFS_ERR_NOENT ? LFS_ERR_NOATTR : tag;
    }
    return (lfs_ssize_t)lfs_tag_size((lfs_tag_t)tag);
}

int lfs_fs_rawstat(lfs_t *lfs, struct lfs_fsinfo *fsinfo) {
    fsinfo->disk_version = lfs->disk_version;
    fsinfo->block_size = lfs->cfg->block_size;
    fsinfo->block_count = lfs->block_count;
    fsinfo->name_max = lfs->name_max;
    fsinfo->file_max = lfs->file_max;
    fsinfo->attr_max = lfs->attr_max;
    return 0;
}

static int lfs_fs_reportpair(const lfs_t *lfs, const lfs_block_t pair[2],
        int (*cb)(void *data, lfs_block_t block), void *data) {
    for (int i = 0; i < 2; i++) {
        if (pair[i] >= lfs->block_count) {
            return LFS_ERR_CORRUPT;
        }
        int err = cb(data, pair[i]);
        if (err) {
            return err;
        }
    }
    return 0;
}

/* Report the skip-lists of dir's entries and, with includeorphans, the
 * pairs of its directory entries. */
static int lfs_fs_traverseentries(lfs_t *lfs, const lfs_mdir_t *dir,
        int (*cb)(void *data, lfs_block_t block), void *data,
        bool includeorphans) {
    for (uint16_t id = 0; id < dir->count; id++) {
        uint8_t raw[8];
        lfs_stag_t tag = lfs_mdir_get(lfs, dir,
                lfs_mktag(0x700, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_STRUCT, id, sizeof(raw)), raw);
        if (tag == LFS_ERR_NOENT) {
            continue;
        }
        if (tag < 0) {
            return tag;
        }

        int err = 0;
        if (lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_CTZSTRUCT) {
            err = lfs_ctz_traverse(lfs, &lfs->rcache,
                    lfs_get_le32(&raw[0]), lfs_get_le32(&raw[4]),
                    cb, data);
        } else if (includeorphans
                && lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_DIRSTRUCT) {
            lfs_block_t pair[2];
            lfs_pair_fromdisk(pair, raw);
            err = lfs_fs_reportpair(lfs, pair, cb, data);
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

int lfs_fs_rawtraverse(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data,
        bool includeorphans) {
    lfs_mdir_t dir = {.tail = {0, 1}};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);

    while (!lfs_pair_isnull(dir.tail)) {
        int err = lfs_chainwalk_step(&walk, dir.tail);
        if (err) {
            return err;
        }
        err = lfs_fs_reportpair(lfs, dir.tail, cb, data);
        if (err) {
            return err;
        }
        err = lfs_mdir_fetch(lfs, &dir, dir.tail);
        if (err) {
            return err;
        }
        err = lfs_fs_traverseentries(lfs, &dir, cb, data, includeorphans);
        if (err) {
            return err;
        }
    }

    return 0;
}

int lfs_fs_traversehalforphans(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data) {
    if (lfs_gstate_orphans(&lfs->gstate) == 0
            && lfs_gstate_orphans(&lfs->gdisk) == 0) {
        return 0;
    }

    lfs_mdir_t dir = {.tail = {0, 1}};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (!lfs_pair_isnull(dir.tail)) {
        int err = lfs_mdir_fetchtail(lfs, &walk, &dir);
        if (err) {
            return err;
        }

        for (uint16_t id = 0; id < dir.count; id++) {
            uint8_t raw[8];
            lfs_stag_t tag = lfs_mdir_get(lfs, &dir,
                    lfs_mktag(0x7ff, 0x3ff, 0),
                    lfs_mktag(LFS_TYPE_DIRSTRUCT, id, sizeof(raw)), raw);
            if (tag == LFS_ERR_NOENT) {
                continue;
            }
            if (tag < 0) {
                return tag;
            }
            // the directory as its entry sees it, all its pairs
            lfs_mdir_t sub = {.split = true};
            lfs_pair_fromdisk(sub.tail, raw);
            lfs_chainwalk_t subwalk;
            lfs_chainwalk_start(&subwalk);
            while (sub.split && !lfs_pair_isnull(sub.tail)) {
                err = lfs_chainwalk_step(&subwalk, sub.tail);
                if (!err) {
                    err = lfs_fs_reportpair(lfs, sub.tail, cb, data);
                }
                if (!err) {
                    err = lfs_mdir_fetch(lfs, &sub, sub.tail);
                }
                if (!err) {
                    err = lfs_fs_traverseentries(lfs, &sub, cb, data, true);
                }
                if (err) {
                    return err;
                }
            }
        }
    }
    return 0;
}

static int lfs_fs_countblock(void *data, lfs_block_t block) {
    (void)block;
    lfs_size_t *count = data;
    // reached only by a traversal reporting 2^31 blocks: a device that
    // large (no test has one), or a corrupt one whose files share blocks
    if (*count >= 0x7fffffff) {
        return LFS_ERR_CORRUPT;
    }
    *count += 1;
    return 0;
}

lfs_ssize_t lfs_fs_rawsize(lfs_t *lfs) {
    lfs_size_t count = 0;
    int err = lfs_fs_rawtraverse(lfs, lfs_fs_countblock, &count, false);
    if (err) {
        return err;
    }
    return (lfs_ssize_t)count;
}
