/*
 * lfs_orphan.c - global state on the write side, and repairing what an
 * interrupted operation leaves behind.
 *
 * Two things can be left half-done by a power loss:
 *   - a move (rename across pairs): the gstate names the source entry, to
 *     be deleted; lfs_fs_demove commits that delete;
 *   - the threaded list of pairs out of step with the directory tree: a
 *     pair no directory entry points to (a full orphan: mkdir, remove or
 *     rename of a directory cut short), or a directory entry pointing to a
 *     pair the list has since replaced by its relocated copy (a half
 *     orphan).  The gstate's sync bit says the list may be out of step;
 *     lfs_fs_deorphan walks the list, fixes half orphans first, then
 *     unlinks full orphans, then clears the bit.
 * lfs_fs_forceconsistency does both (and rewrites an outdated superblock,
 * and settles every pair once lfs_settle.c's ring has overflowed) before
 * the first write after mount; lfs_fs_mkconsistent also settles them all.
 *
 * In RAM the orphan count lives in the size field of lfs->gstate's tag;
 * on disk only its "nonzero" survives, as the top bit.  Assumes
 * lfs_mdir_commit.c for commits and the mdir layer for fetches.  Walks of
 * the threaded list use Brent's cycle detection.
 */
#include "lfs_internal.h"

uint32_t lfs_fs_disk_version(const lfs_t *lfs) {
#ifdef LFS_MULTIVERSION
    if (lfs->cfg->disk_version) {
        return lfs->cfg->disk_version;
    }
#else
    (void)lfs;
#endif
    return LFS_DISK_VERSION;
}

void lfs_fs_prepmove(lfs_t *lfs, uint16_t id, const lfs_block_t pair[2]) {
    lfs->gstate.tag = (lfs->gstate.tag & ~lfs_mktag(0x7ff, 0x3ff, 0))
            | ((id != LFS_ID_NONE) ? lfs_mktag(LFS_TYPE_DELETE, id, 0) : 0);
    lfs->gstate.pair[0] = (id != LFS_ID_NONE) ? pair[0] : 0;
    lfs->gstate.pair[1] = (id != LFS_ID_NONE) ? pair[1] : 0;
}

/* Sum the gstate deltas of every pair in the threaded list into gdisk, and
 * make gstate that. */
static int lfs_fs_rereadgstate(lfs_t *lfs) {
    lfs_gstate_t sum = {0, {0, 0}};
    lfs_mdir_t dir = {.tail = {0, 1}};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (!lfs_pair_isnull(dir.tail)) {
        int err = lfs_mdir_fetchtail(lfs, &walk, &dir);
        if (err) {
            return err;
        }
        err = lfs_gstate_collect(lfs, &dir, &sum);
        if (err) {
            return err;
        }
    }
    lfs_gstate_finish(&sum);
    lfs->gdisk = sum;
    lfs->gstate = sum;
    lfs->gunknown = false;
    return 0;
}

/* After a failed commit: RAM forgets what the failed operation prepared (a
 * move, orphan counts, a dropped pair's delta), so no later commit writes
 * half of that operation.  The failed commit may have landed all the same
 * (an error reading it back, or in a later commit of the operation), so
 * gdisk is read again from the disk; if that fails too, before the next
 * write. */
void lfs_fs_dropgstate(lfs_t *lfs) {
    memset(&lfs->gdelta, 0, sizeof(lfs->gdelta));
    lfs->gstate = lfs->gdisk;
    lfs->gunknown = true;
    (void)lfs_fs_rereadgstate(lfs);
}

/* Before a write: gdisk as the disk has it. */
int lfs_fs_knowgstate(lfs_t *lfs) {
    return lfs->gunknown ? lfs_fs_rereadgstate(lfs) : 0;
}

int lfs_fs_preporphans(lfs_t *lfs, int orphans) {
    int32_t count = (int32_t)lfs_gstate_orphans(&lfs->gstate) + orphans;
    // defensive: no caller takes back more than it counted, and 0x1ff
    // orphans would take ~500 relocations nested in one commit
    if (count < 0 || count > 0x1ff) {
        return LFS_ERR_CORRUPT;
    }
    lfs->gstate.tag = (lfs->gstate.tag & ~lfs_mktag(0x800, 0, 0x1ff))
            | (lfs_tag_t)count | ((lfs_tag_t)(count > 0) << 31);
    return 0;
}

/* Find the pair whose tail is `pair`. */
int lfs_fs_pred(lfs_t *lfs, const lfs_block_t pair[2], lfs_mdir_t *pdir) {
    // the superblock pair starts the list: nothing comes before it.
    // Defensive: {0, 1} is never relocated or dropped, so no caller asks
    if (lfs_pair_sharesblock(pair, (const lfs_block_t[2]){0, 1})) {
        return LFS_ERR_NOENT;
    }
    pdir->tail[0] = 0;
    pdir->tail[1] = 1;
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (!lfs_pair_isnull(pdir->tail)) {
        if (lfs_pair_sharesblock(pdir->tail, pair)) {
            return 0;
        }
        int err = lfs_chainwalk_step(&walk, pdir->tail);
        if (err) {
            return err;
        }
        err = lfs_mdir_fetch(lfs, pdir, pdir->tail);
        if (err) {
            return err;
        }
    }
    return LFS_ERR_NOENT;
}

struct lfs_parentmatch {
    lfs_t *lfs;
    const lfs_block_t *pair;
};

static int lfs_fs_parentmatch(void *data, lfs_tag_t tag,
        lfs_block_t block, lfs_off_t off) {
    struct lfs_parentmatch *m = data;
    // unreachable: lfs_fs_parent matches sizes too, so every tag is 8 bytes
    if (lfs_tag_datasize(tag) < 8) {
        return LFS_CMP_LT;
    }
    uint8_t raw[8];
    int err = lfs_bd_read(m->lfs, NULL, &m->lfs->rcache, 8,
            block, off, raw, 8);
    if (err) {
        return err;
    }
    lfs_block_t child[2];
    lfs_pair_fromdisk(child, raw);
    return lfs_pair_sharesblock(child, m->pair) ? LFS_CMP_EQ : LFS_CMP_LT;
}

/* Find the directory entry pointing to `pair`: returns its tag, with
 * parent the pair holding it, or LFS_ERR_NOENT. */
lfs_stag_t lfs_fs_parent(lfs_t *lfs, const lfs_block_t pair[2],
        lfs_mdir_t *parent) {
    struct lfs_parentmatch m = {lfs, pair};
    parent->tail[0] = 0;
    parent->tail[1] = 1;
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (!lfs_pair_isnull(parent->tail)) {
        int err = lfs_chainwalk_step(&walk, parent->tail);
        if (err) {
            return err;
        }
        lfs_stag_t tag = lfs_mdir_fetchmatch(lfs, parent, parent->tail,
                lfs_mktag(0x7ff, 0, 0x3ff),
                lfs_mktag(LFS_TYPE_DIRSTRUCT, 0, 8),
                NULL, lfs_fs_parentmatch, &m);
        if (tag && tag != LFS_ERR_NOENT) {
            return tag;
        }
    }
    return LFS_ERR_NOENT;
}

/* Rewrite the superblock entry if the disk's version is older than the
 * one this mount writes. */
static int lfs_fs_desuperblock(lfs_t *lfs) {
    if (!lfs->needssuperblock) {
        return 0;
    }
    lfs_mdir_t root;
    int err = lfs_mdir_fetch(lfs, &root, lfs->root);
    if (err) {
        return err;
    }
    uint8_t raw[24];
    lfs_put_le32(&raw[0], lfs_fs_disk_version(lfs));
    lfs_put_le32(&raw[4], lfs->cfg->block_size);
    lfs_put_le32(&raw[8], lfs->block_count);
    lfs_put_le32(&raw[12], lfs->name_max);
    lfs_put_le32(&raw[16], lfs->file_max);
    lfs_put_le32(&raw[20], lfs->attr_max);
    struct lfs_mattr attr = {
        lfs_mktag(LFS_TYPE_INLINESTRUCT, 0, sizeof(raw)), raw};
    err = lfs_dir_commit(lfs, &root, &attr, 1);
    if (err) {
        return err;
    }
    lfs->disk_version = lfs_fs_disk_version(lfs);
    lfs->needssuperblock = false;
    return 0;
}

/* Complete a move cut short: delete its source entry. */
static int lfs_fs_demove(lfs_t *lfs) {
    if (!lfs_gstate_hasmove(&lfs->gdisk)) {
        return 0;
    }
    lfs_mdir_t movedir;
    int err = lfs_mdir_fetch(lfs, &movedir, lfs->gdisk.pair);
    if (err) {
        return err;
    }
    uint16_t moveid = (uint16_t)lfs_tag_id(lfs->gdisk.tag);
    if (moveid >= movedir.count) {
        return LFS_ERR_CORRUPT;
    }
    lfs_fs_prepmove(lfs, LFS_ID_NONE, NULL);
    struct lfs_mattr attr = {lfs_mktag(LFS_TYPE_DELETE, moveid, 0), NULL};
    return lfs_dir_commit(lfs, &movedir, &attr, 1);
}

int lfs_fs_deorphan(lfs_t *lfs, bool powerloss) {
    if (lfs_gstate_orphans(&lfs->gstate) == 0) {
        return 0;
    }

    // pass 0 fixes half orphans, pass 1 unlinks full orphans; half orphans
    // can hide full ones, so a pass that made new ones starts over
    int pass = 0;
    lfs_size_t rounds = 0;
    while (pass < 2) {
        lfs_mdir_t pdir = {.split = true, .tail = {0, 1}};
        lfs_mdir_t dir;
        bool moreorphans = false;
        lfs_chainwalk_t walk;
        lfs_chainwalk_start(&walk);

        while (!lfs_pair_isnull(pdir.tail)) {
            int err = lfs_chainwalk_step(&walk, pdir.tail);
            if (err) {
                return err;
            }
            err = lfs_mdir_fetch(lfs, &dir, pdir.tail);
            if (err) {
                return err;
            }

            // only the first pair of a directory has a parent
            if (!pdir.split) {
                lfs_mdir_t parent;
                lfs_stag_t tag = lfs_fs_parent(lfs, pdir.tail, &parent);
                if (tag < 0 && tag != LFS_ERR_NOENT) {
                    return (int)tag;
                }

                if (pass == 0 && tag != LFS_ERR_NOENT) {
                    uint8_t raw[8];
                    lfs_stag_t res = lfs_mdir_get(lfs, &parent,
                            lfs_mktag(0x7ff, 0x3ff, 0), (lfs_tag_t)tag, raw);
                    if (res < 0) {
                        return (int)res;
                    }
                    lfs_block_t pair[2];
                    lfs_pair_fromdisk(pair, raw);
                    if (!(pair[0] == pdir.tail[0] && pair[1] == pdir.tail[1])) {
                        // half orphan: the list has an older copy; point
                        // it at the pair the parent knows
                        struct lfs_mattr attrs[2];
                        int count = 0;
                        if (lfs_gstate_hasmovehere(&lfs->gstate, pdir.pair)) {
                            uint16_t moveid =
                                    (uint16_t)lfs_tag_id(lfs->gstate.tag);
                            lfs_fs_prepmove(lfs, LFS_ID_NONE, NULL);
                            attrs[count++] = (struct lfs_mattr){
                                lfs_mktag(LFS_TYPE_DELETE, moveid, 0), NULL};
                        }
                        attrs[count++] = (struct lfs_mattr){
                            lfs_mktag(LFS_TYPE_SOFTTAIL, LFS_ID_NONE, 8), raw};
                        int state = lfs_dir_orphaningcommit(lfs, &pdir,
                                attrs, count);
                        if (state < 0) {
                            return state;
                        }
                        if (state == LFS_OK_ORPHANED) {
                            moreorphans = true;
                        }
                        lfs_chainwalk_start(&walk);
                        continue;
                    }
                }

                // orphans are made on purpose during mkdir and friends;
                // only after a power loss is a parentless pair garbage
                if (pass == 1 && tag == LFS_ERR_NOENT && powerloss) {
                    err = lfs_gstate_collect(lfs, &dir, &lfs->gdelta);
                    if (err) {
                        return err;
                    }
                    uint8_t raw[8];
                    lfs_put_le32(&raw[0], dir.tail[0]);
                    lfs_put_le32(&raw[4], dir.tail[1]);
                    struct lfs_mattr attr = {lfs_mktag(
                        LFS_TYPE_TAIL + dir.split, LFS_ID_NONE, 8), raw};
                    int state = lfs_dir_orphaningcommit(lfs, &pdir, &attr, 1);
                    if (state < 0) {
                        return state;
                    }
                    // an unlink whose commit relocates a pair and then its
                    // parent's: no test's cut leaves that to repair
                    if (state == LFS_OK_ORPHANED) {
                        moreorphans = true;
                    }
                    lfs_chainwalk_start(&walk);
                    continue;
                }
            }

            pdir = dir;
        }

        pass = moreorphans ? 0 : pass + 1;
        // every round fixes at least one pair; a disk that keeps making
        // new orphans is corrupt
        rounds += 1;
        // defensive bound: no image found that keeps making orphans
        if (rounds > 2*lfs->block_count + 2) {
            return LFS_ERR_CORRUPT;
        }
    }

    return lfs_fs_preporphans(lfs, -(int)lfs_gstate_orphans(&lfs->gstate));
}

int lfs_fs_forceconsistency(lfs_t *lfs) {
    int err = lfs_fs_knowgstate(lfs);
    if (err) {
        return err;
    }
    err = lfs_fs_desuperblock(lfs);
    if (err) {
        return err;
    }
    err = lfs_fs_demove(lfs);
    if (err) {
        return err;
    }
    err = lfs_fs_deorphan(lfs, true);
    if (err) {
        return err;
    }
    return lfs_settle_ifoverflowed(lfs);
}

int lfs_fs_rawmkconsistent(lfs_t *lfs) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }
    // rewrite every log a power cut may have left unstable
    err = lfs_settle_all(lfs);
    if (err) {
        return err;
    }
    // write out any gstate RAM has and the disk does not
    lfs_gstate_t delta = lfs->gdisk;
    lfs_gstate_xor(&delta, &lfs->gstate);
    delta.tag &= ~lfs_mktag(0, 0, 0x3ff);
    if (!lfs_gstate_iszero(&delta)) {
        lfs_mdir_t root;
        err = lfs_mdir_fetch(lfs, &root, lfs->root);
        if (err) {
            return err;
        }
        err = lfs_dir_commit(lfs, &root, NULL, 0);
        if (err) {
            return err;
        }
    }
    return 0;
}
