/*
 * lfs_mdir_commit.c - committing to a metadata pair and keeping the rest
 * of the filesystem consistent with what that commit did.
 *
 * A commit is appended to the pair's log if the pair is known erased
 * after its log and this mount wrote the log's newest commit
 * (lfs_settle.c), and otherwise (or if the append does not fit or hits a
 * bad block) the pair is compacted, splitting or relocating as needed.
 * Afterwards:
 *   - a pair left without entries that is not the first of its directory
 *     is dropped: its predecessor takes over its tail and gstate delta;
 *   - a relocated pair is re-linked: its parent's directory entry and its
 *     predecessor's tail are pointed at the new blocks.  That commit may
 *     relocate its own pair in turn; the chain is followed in a loop, not
 *     by recursion, with the orphan count in gstate covering the window in
 *     which a parent and a predecessor disagree;
 *   - every open file and directory (lfs->mlist) on the pair is updated:
 *     the new pair state, ids shifted by creates and deletes, a handle
 *     whose id moved to a split-off tail follows it.
 * A pending move whose source pair is re-linked is completed in the same
 * commit, since the relocation may outdate the move's pair.
 *
 * Assumes lfs_commit.c for writing into pairs and lfs_orphan.c for the
 * threaded-list searches (pred, parent) and gstate preparation.
 */
#include "lfs_internal.h"

void lfs_mlist_append(lfs_t *lfs, lfs_mlist_t *m) {
    m->next = lfs->mlist;
    lfs->mlist = m;
}

void lfs_mlist_remove(lfs_t *lfs, lfs_mlist_t *m) {
    for (lfs_mlist_t **p = &lfs->mlist; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = (*p)->next;
            return;
        }
    }
}

/* Bring open handles on oldpair up to date with dir after a commit of
 * attrs; self (the caller's own mdir) already reflects its own ids. */
static int lfs_mlist_fix(lfs_t *lfs, const lfs_block_t oldpair[2],
        const lfs_mdir_t *self, const lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count) {
    for (lfs_mlist_t *d = lfs->mlist; d; d = d->next) {
        if (!lfs_pair_sharesblock(d->m.pair, oldpair)) {
            continue;
        }
        d->m = *dir;
        if (d->type == LFS_TYPE_DIR) {
            // the pair may have moved to blocks this walk has seen before:
            // restart its loop detection rather than report a false cycle
            lfs_chainwalk_start(&((lfs_dir_t *)d)->walk);
        }
        for (int i = 0; &d->m != self && i < count; i++) {
            lfs_tag_t tag = attrs[i].tag;
            uint32_t type3 = lfs_tag_type3(tag);
            if (type3 == LFS_TYPE_DELETE && d->id == lfs_tag_id(tag)) {
                d->m.pair[0] = LFS_BLOCK_NULL;
                d->m.pair[1] = LFS_BLOCK_NULL;
            } else if (type3 == LFS_TYPE_DELETE && d->id > lfs_tag_id(tag)) {
                d->id -= 1;
                if (d->type == LFS_TYPE_DIR) {
                    ((lfs_dir_t *)d)->pos -= 1;
                }
            } else if (type3 == LFS_TYPE_CREATE && d->id >= lfs_tag_id(tag)) {
                d->id += 1;
                if (d->type == LFS_TYPE_DIR) {
                    ((lfs_dir_t *)d)->pos += 1;
                }
            }
        }

        while (d->id >= d->m.count && d->m.split
                && !lfs_pair_isnull(d->m.pair)) {
            // the id went to a split-off tail (an expanded superblock
            // keeps the root's ids unchanged)
            if (!lfs_pair_issame(d->m.tail, lfs->root)) {
                d->id -= d->m.count;
            }
            int err = lfs_mdir_fetch(lfs, &d->m, d->m.tail);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

/* Commit attrs to dir (whose blocks were `pair` before).  pdir receives
 * the predecessor if the pair is dropped.  Returns 0, LFS_OK_RELOCATED,
 * LFS_OK_DROPPED, or an error. */
static int lfs_dir_relocatingcommit(lfs_t *lfs, lfs_mdir_t *dir,
        const lfs_block_t pair[2], const lfs_mdir_t *self,
        const struct lfs_mattr *attrs, int count, lfs_mdir_t *pdir) {
    const lfs_block_t oldpair[2] = {pair[0], pair[1]};
    int state = 0;
    bool hasdelete = false;

    for (int i = 0; i < count; i++) {
        lfs_tag_t tag = attrs[i].tag;
        if (lfs_tag_type3(tag) == LFS_TYPE_CREATE) {
            dir->count += 1;
        } else if (lfs_tag_type3(tag) == LFS_TYPE_DELETE) {
            // defensive: every delete names an id found in the pair, and
            // lfs_fs_demove checks a pending move's id against the count
            if (dir->count == 0) {
                return LFS_ERR_CORRUPT;
            }
            dir->count -= 1;
            hasdelete = true;
        } else if (lfs_tag_type1(tag) == LFS_TYPE_TAIL) {
            lfs_pair_fromdisk(dir->tail, attrs[i].buffer);
            dir->split = lfs_tag_chunk(tag) & 1;
        }
    }

    if (hasdelete && dir->count == 0 && pdir) {
        int err = lfs_fs_pred(lfs, dir->pair, pdir);
        if (err && err != LFS_ERR_NOENT) {
            return err;
        }
        if (err != LFS_ERR_NOENT && pdir->split) {
            state = LFS_OK_DROPPED;
            goto fixmlist;
        }
    }

    if (dir->erased && lfs_settle_canappend(lfs, dir)) {
        int err = lfs_dir_append(lfs, dir, attrs, count);
        if (!err) {
            goto fixmlist;
        }
        if (err != LFS_ERR_NOSPC && err != LFS_ERR_CORRUPT) {
            return err;
        }
    }

    lfs_cache_drop(&lfs->pcache);
    state = lfs_dir_splittingcompact(lfs, dir, attrs, count,
            dir, 0, dir->count);
    if (state < 0) {
        return state;
    }

fixmlist:;
    int err = lfs_mlist_fix(lfs, oldpair, self, dir, attrs, count);
    if (err) {
        return err;
    }
    return state;
}

/* Commit to pdir: optionally the delete that completes a pending move out
 * of pdir (needed when pdir is re-linked, as its ids may shift), then one
 * more attribute.  *adjust, if given, is a tag lfs_fs_parent found in pdir:
 * its id is as a fetch shows it, with the source of a move already on disk
 * hidden (lfs_mdir_fetchmatch); the commit needs the id after its delete. */
static int lfs_dir_fixcommit(lfs_t *lfs, lfs_mdir_t *pdir,
        lfs_tag_t tag, const void *buffer, lfs_tag_t *adjust) {
    struct lfs_mattr attrs[2];
    int count = 0;
    int32_t shift = 0;
    if (adjust && lfs_gstate_hasmovehere(&lfs->gdisk, pdir->pair)
            && lfs_tag_id(lfs->gdisk.tag) <= lfs_tag_id(*adjust)) {
        shift += 1;     // back to the id in the log
    }
    if (lfs_gstate_hasmovehere(&lfs->gstate, pdir->pair)) {
        uint16_t moveid = (uint16_t)lfs_tag_id(lfs->gstate.tag);
        lfs_fs_prepmove(lfs, LFS_ID_NONE, NULL);
        attrs[count++] = (struct lfs_mattr){
                lfs_mktag(LFS_TYPE_DELETE, moveid, 0), NULL};
        if (adjust && moveid < lfs_tag_id(*adjust) + shift) {
            shift -= 1;
        }
    }
    if (adjust) {
        *adjust = lfs_tag_shift(*adjust, shift);
    }
    attrs[count++] = (struct lfs_mattr){adjust ? *adjust : tag, buffer};
    const lfs_block_t ppair[2] = {pdir->pair[0], pdir->pair[1]};
    return lfs_dir_relocatingcommit(lfs, pdir, ppair, NULL,
            attrs, count, NULL);
}

int lfs_dir_orphaningcommit(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count) {
    // inline files bigger than a cache cannot be rewritten from RAM at
    // compaction; move them out to blocks first (unreachable while lfs_init
    // caps inline_max at cache_size: a write past inline_max outlines first)
    for (lfs_mlist_t *m = lfs->mlist; m; m = m->next) {
        lfs_file_t *f = (lfs_file_t *)m;
        if (m->type == LFS_TYPE_REG && &m->m != dir
                && lfs_pair_sharesblock(m->m.pair, dir->pair)
                && (f->flags & LFS_F_INLINE) && (f->flags & LFS_F_WRITING)
                && f->ctz.size > lfs->cfg->cache_size) {
            int err = lfs_file_flush(lfs, f);
            if (err) {
                return err;
            }
        }
    }

    lfs_block_t lpair[2] = {dir->pair[0], dir->pair[1]};
    lfs_mdir_t ldir = *dir;
    lfs_mdir_t pdir;
    int state = lfs_dir_relocatingcommit(lfs, &ldir, dir->pair, dir,
            attrs, count, &pdir);
    if (state < 0) {
        return state;
    }
    // the mlist fixups may already have updated dir
    if (lfs_pair_sharesblock(dir->pair, lpair)) {
        *dir = ldir;
    }

    if (state == LFS_OK_DROPPED) {
        // the predecessor takes over our gstate delta and our tail
        int err = lfs_gstate_collect(lfs, dir, &lfs->gdelta);
        if (err) {
            return err;
        }
        uint8_t raw[8];
        lfs_put_le32(&raw[0], dir->tail[0]);
        lfs_put_le32(&raw[4], dir->tail[1]);
        lpair[0] = pdir.pair[0];
        lpair[1] = pdir.pair[1];
        struct lfs_mattr tail = {
            lfs_mktag(LFS_TYPE_TAIL + dir->split, LFS_ID_NONE, 8), raw};
        state = lfs_dir_relocatingcommit(lfs, &pdir, lpair, NULL,
                &tail, 1, NULL);
        if (state < 0) {
            return state;
        }
        ldir = pdir;
    }

    bool orphans = false;
    while (state == LFS_OK_RELOCATED) {
        state = 0;
        if (lfs_pair_sharesblock(lpair, lfs->root)) {
            lfs->root[0] = ldir.pair[0];
            lfs->root[1] = ldir.pair[1];
        }
        for (lfs_mlist_t *d = lfs->mlist; d; d = d->next) {
            if (lfs_pair_sharesblock(lpair, d->m.pair)) {
                d->m.pair[0] = ldir.pair[0];
                d->m.pair[1] = ldir.pair[1];
            }
            if (d->type == LFS_TYPE_DIR
                    && lfs_pair_sharesblock(lpair, ((lfs_dir_t *)d)->head)) {
                ((lfs_dir_t *)d)->head[0] = ldir.pair[0];
                ((lfs_dir_t *)d)->head[1] = ldir.pair[1];
            }
        }

        uint8_t raw[8];
        lfs_put_le32(&raw[0], ldir.pair[0]);
        lfs_put_le32(&raw[4], ldir.pair[1]);

        // point the parent's entry at the new blocks
        lfs_stag_t tag = lfs_fs_parent(lfs, lpair, &pdir);
        if (tag < 0 && tag != LFS_ERR_NOENT) {
            return (int)tag;
        }
        bool hasparent = tag != LFS_ERR_NOENT;
        if (hasparent) {
            // parent and predecessor disagree until both are fixed
            int err = lfs_fs_preporphans(lfs, +1);
            if (err) {
                return err;
            }
            lfs_tag_t ptag = (lfs_tag_t)tag;
            lfs_block_t ppair[2] = {pdir.pair[0], pdir.pair[1]};
            state = lfs_dir_fixcommit(lfs, &pdir, 0, raw, &ptag);
            if (state < 0) {
                return state;
            }
            if (state == LFS_OK_RELOCATED) {
                lpair[0] = ppair[0];
                lpair[1] = ppair[1];
                ldir = pdir;
                orphans = true;
                continue;
            }
        }

        // point the predecessor's tail at the new blocks
        int err = lfs_fs_pred(lfs, lpair, &pdir);
        if (err && err != LFS_ERR_NOENT) {
            return err;
        }
        if (hasparent && err == LFS_ERR_NOENT) {
            return LFS_ERR_CORRUPT;
        }
        if (err != LFS_ERR_NOENT) {
            if (lfs_gstate_orphans(&lfs->gstate) > 0) {
                err = lfs_fs_preporphans(lfs, -(int)hasparent);
                if (err) {
                    // unreachable: at most 1 is taken from a positive count
                    return err;
                }
            }
            lpair[0] = pdir.pair[0];
            lpair[1] = pdir.pair[1];
            state = lfs_dir_fixcommit(lfs, &pdir,
                    lfs_mktag(LFS_TYPE_TAIL + pdir.split, LFS_ID_NONE, 8),
                    raw, NULL);
            if (state < 0) {
                return state;
            }
            ldir = pdir;
        }
    }

    return orphans ? LFS_OK_ORPHANED : 0;
}

/* A commit failed.  What it progged may sit in the program cache (dropped
 * here, never to be written later) or on disk past the log ends RAM knows
 * (so no pair RAM holds is appended to before a refetch or compaction). */
static void lfs_dir_commitfailed(lfs_t *lfs, lfs_mdir_t *dir) {
    lfs_cache_drop(&lfs->pcache);
    lfs_cache_drop(&lfs->rcache);
    dir->erased = false;
    for (lfs_mlist_t *m = lfs->mlist; m; m = m->next) {
        m->m.erased = false;
    }
    lfs_fs_dropgstate(lfs);
}

int lfs_dir_commit(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count) {
    int state = lfs_fs_knowgstate(lfs);
    if (state < 0) {
        return state;
    }
    // orphans the calling operation counts for itself (mkdir, remove and
    // rename of a directory): still pending after this commit
    uint32_t own = lfs_gstate_orphans(&lfs->gstate);
    state = lfs_dir_orphaningcommit(lfs, dir, attrs, count);
    if (state == LFS_OK_ORPHANED) {
        // nested relocations may have left pairs half-linked; fixing them
        // clears the whole count, so give the operation's own back
        state = lfs_fs_deorphan(lfs, false);
        if (state == 0) {
            state = lfs_fs_preporphans(lfs, (int)own);
        }
    }
    if (state < 0) {
        lfs_dir_commitfailed(lfs, dir);
        return state;
    }
    return 0;
}

/* Unlink tail, which follows dir in the threaded list. */
int lfs_dir_drop(lfs_t *lfs, lfs_mdir_t *dir, lfs_mdir_t *tail) {
    int err = lfs_gstate_collect(lfs, tail, &lfs->gdelta);
    if (err) {
        return err;
    }
    uint8_t raw[8];
    lfs_put_le32(&raw[0], tail->tail[0]);
    lfs_put_le32(&raw[4], tail->tail[1]);
    struct lfs_mattr attr = {
        lfs_mktag(LFS_TYPE_TAIL + tail->split, LFS_ID_NONE, 8), raw};
    return lfs_dir_commit(lfs, dir, &attr, 1);
}

/* Compact every pair on the threaded list that stale() picks (a commit of
 * nothing to a pair not taken as erased is a compaction).  Pairs split or
 * relocated on the way are followed through their tails. */
int lfs_dir_compacteach(lfs_t *lfs,
        bool (*stale)(const lfs_t *lfs, const lfs_mdir_t *dir)) {
    lfs_mdir_t mdir = {.tail = {0, 1}};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (!lfs_pair_isnull(mdir.tail)) {
        int err = lfs_mdir_fetchtail(lfs, &walk, &mdir);
        if (err) {
            return err;
        }
        if (stale(lfs, &mdir)) {
            mdir.erased = false;
            err = lfs_dir_commit(lfs, &mdir, NULL, 0);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}
