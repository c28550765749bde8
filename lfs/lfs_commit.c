/*
 * lfs_commit.c - writing into a metadata pair: appending a commit to the
 * log, compacting a pair into its other block, and splitting a pair whose
 * compacted state would not fit comfortably.
 *
 * A commit is a run of xor-chained big-endian tags with their data,
 * closed by a CRC tag padded to prog_size.  A commit that does not end at
 * the block's end also carries (disk version 2.1) an FCRC: the CRC of the
 * next prog_size bytes as erased, so a later fetch knows it may append.
 * The CRC tag's type bit records the top bit of the first byte after the
 * padding, and the next commit's tags are chained so their valid bit
 * differs from it: a commit never reads as valid by accident.  A commit
 * is checked after it is written by recomputing its CRC from the disk;
 * a mismatch (or a prog that fails with LFS_ERR_CORRUPT) is a bad block.
 *
 * Compaction writes, for ids [begin, end) renumbered from 0, the newest
 * name, struct and user attributes of every entry from the pair's log and
 * the pending attribute list, then the tail and the pair's gstate delta.
 * Which tags are newest is found by walking the log forward and, for each
 * tag, the rest of the log and list after it (quadratic in tags, constant
 * memory, no recursion beyond one level for a moved entry's source).
 * Later FROM_MOVE entries never hide earlier tags: a move always creates
 * its destination id in the same commit, before the move.
 *
 * Revision counts grow by one per compaction; every ((block_cycles+1)|1)
 * erases a pair is moved to new blocks (relocated), except the superblock
 * pair {0, 1}, which is expanded instead (its contents move to a new root
 * pair) while the disk has room to spare.  A bad block is relocated the
 * same way; the superblock pair cannot be, so that gives LFS_ERR_NOSPC.
 */
#include "lfs_internal.h"

/* Where a tag's data is: in memory (buffer), or on disk at (block, off). */
struct lfs_tagdata {
    const void *buffer;
    lfs_block_t block;
    lfs_off_t off;
};

typedef int (*lfs_tagcb_t)(void *data, lfs_tag_t tag,
        const struct lfs_tagdata *d);

struct lfs_commit {
    lfs_block_t block;
    lfs_off_t off;
    lfs_tag_t ptag;
    uint32_t crc;
    lfs_off_t begin;
    lfs_off_t end;
};

/* A forward walk of a pair's valid log. */
struct lfs_logiter {
    lfs_block_t block;
    lfs_off_t off;
    lfs_off_t end;
    lfs_tag_t ptag;
};

static lfs_size_t lfs_metadata_max(const lfs_t *lfs) {
    return lfs->cfg->metadata_max ? lfs->cfg->metadata_max
            : lfs->cfg->block_size;
}

bool lfs_dir_needsrelocation(const lfs_t *lfs, const lfs_mdir_t *dir) {
    return lfs->cfg->block_cycles > 0
            && (dir->rev + 1) % (((uint32_t)lfs->cfg->block_cycles + 1) | 1)
                == 0;
}

static void lfs_log_start(struct lfs_logiter *it, const lfs_mdir_t *dir) {
    it->block = dir->pair[0];
    it->off = 4;
    it->end = dir->off;
    it->ptag = 0xffffffff;
}

/* Next tag of the log that is not a CRC or FCRC: 1 and the tag, 0 at the
 * end, or an error. */
static int lfs_log_next(lfs_t *lfs, struct lfs_logiter *it,
        lfs_tag_t *tag, lfs_off_t *dataoff) {
    while (it->off < it->end && it->end - it->off >= 4) {
        uint8_t raw[4];
        int err = lfs_bd_read(lfs, NULL, &lfs->rcache, it->end - it->off,
                it->block, it->off, raw, 4);
        if (err) {
            return err;
        }
        lfs_tag_t t = (lfs_get_be32(raw) ^ it->ptag) & 0x7fffffffu;
        if (lfs_tag_dsize(t) > it->end - it->off) {
            return LFS_ERR_CORRUPT;
        }
        lfs_off_t doff = it->off + 4;
        it->off += lfs_tag_dsize(t);
        it->ptag = t;
        if (lfs_tag_iscrc(t)) {
            it->ptag ^= (lfs_tag_t)(lfs_tag_chunk(t) & 1u) << 31;
            continue;
        }
        if (lfs_tag_type3(t) == LFS_TYPE_FCRC) {
            continue;
        }
        *tag = t;
        *dataoff = doff;
        return 1;
    }
    return 0;
}

/* Tags a compaction keeps: names, structs, user attributes. */
static bool lfs_tag_iscontent(lfs_tag_t tag) {
    uint32_t type1 = lfs_tag_type1(tag);
    return type1 == LFS_TYPE_NAME || type1 == LFS_TYPE_STRUCT
            || type1 == LFS_TYPE_USERATTR;
}

/* Does the later tag `later` hide the candidate *tag?  If not, shift the
 * candidate's id by later's splice. */
static bool lfs_tag_hides(lfs_tag_t later, lfs_tag_t *tag) {
    // user attributes are told apart by their full type, others by type1
    lfs_tag_t mask = (later & lfs_mktag(0x100, 0, 0))
            ? lfs_mktag(0x7ff, 0x3ff, 0) : lfs_mktag(0x700, 0x3ff, 0);
    if ((mask & later) == (mask & *tag)) {
        return true;
    }
    if ((lfs_mktag(0x7ff, 0x3ff, 0) & later) == (lfs_mktag(LFS_TYPE_DELETE,
            0, 0) | (lfs_mktag(0, 0x3ff, 0) & *tag))) {
        return true;
    }
    if (lfs_tag_type1(later) == LFS_TYPE_SPLICE
            && lfs_tag_id(later) <= lfs_tag_id(*tag)) {
        *tag = lfs_tag_shift(*tag, lfs_tag_splice(later));
    }
    return false;
}

/* Is *tag still current after the rest of the log (from `it`, if given)
 * and attrs[from..count)?  Returns 1 if hidden, 0 if current (with *tag
 * renumbered to the final ids), or an error. */
static int lfs_tag_hidden(lfs_t *lfs, const struct lfs_logiter *it,
        const struct lfs_mattr *attrs, int count, int from, lfs_tag_t *tag) {
    if (it) {
        struct lfs_logiter rest = *it;
        while (true) {
            lfs_tag_t later;
            lfs_off_t doff;
            int res = lfs_log_next(lfs, &rest, &later, &doff);
            if (res < 0) {
                return res;
            }
            if (res == 0) {
                break;
            }
            if (lfs_tag_hides(later, tag)) {
                return 1;
            }
        }
    }
    for (int i = from; i < count; i++) {
        lfs_tag_t later = attrs[i].tag;
        if (lfs_tag_type3(later) == LFS_FROM_USERATTRS) {
            const struct lfs_attr *a = attrs[i].buffer;
            for (lfs_size_t j = 0; j < lfs_tag_size(later); j++) {
                if (lfs_tag_hides(lfs_mktag(LFS_TYPE_USERATTR + a[j].type,
                        lfs_tag_id(later), a[j].size), tag)) {
                    return 1;
                }
            }
        } else if (lfs_tag_type3(later) != LFS_FROM_MOVE) {
            if (lfs_tag_hides(later, tag)) {
                return 1;
            }
        }
    }
    return 0;
}

struct lfs_livestate {
    lfs_t *lfs;
    const struct lfs_mattr *attrs;
    int count;
    int from;
    uint16_t toid;
    uint16_t begin, end;
    lfs_tagcb_t cb;
    void *data;
};

/* Report one current tag if its id is in [begin, end), renumbered. */
static int lfs_live_emit(struct lfs_livestate *s, lfs_tag_t tag,
        const struct lfs_tagdata *d) {
    uint32_t id = lfs_tag_id(tag);
    if (id < s->begin || id >= s->end) {
        return 0;
    }
    return s->cb(s->data, lfs_tag_shift(tag, -(int32_t)s->begin), d);
}

/* A moved entry's tag from its source: struct and user attributes only,
 * renumbered to the destination id and checked against what follows. */
static int lfs_live_fromsource(void *data, lfs_tag_t tag,
        const struct lfs_tagdata *d) {
    struct lfs_livestate *s = data;
    uint32_t type1 = lfs_tag_type1(tag);
    if (type1 != LFS_TYPE_STRUCT && type1 != LFS_TYPE_USERATTR) {
        return 0;
    }
    tag = (tag & ~lfs_mktag(0, 0x3ff, 0)) | lfs_mktag(0, s->toid, 0);
    int res = lfs_tag_hidden(s->lfs, NULL, s->attrs, s->count, s->from, &tag);
    // never taken: without a log nothing is read, and no caller puts a tag
    // of the destination id after its LFS_FROM_MOVE
    if (res) {
        return res < 0 ? res : 0;
    }
    return lfs_live_emit(s, tag, d);
}

/* Call cb with every current content tag of (dir's log, then attrs) whose
 * final id is in [begin, end), renumbered from begin. */
static int lfs_dir_eachlive(lfs_t *lfs, const lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count,
        uint16_t begin, uint16_t end, lfs_tagcb_t cb, void *data) {
    struct lfs_livestate s = {lfs, attrs, count, 0, 0, begin, end, cb, data};

    struct lfs_logiter it;
    lfs_log_start(&it, dir);
    while (true) {
        lfs_tag_t tag;
        lfs_off_t doff;
        int res = lfs_log_next(lfs, &it, &tag, &doff);
        if (res < 0) {
            return res;
        }
        if (res == 0) {
            break;
        }
        if (!lfs_tag_iscontent(tag) || lfs_tag_isdelete(tag)) {
            continue;
        }
        res = lfs_tag_hidden(lfs, &it, attrs, count, 0, &tag);
        if (res < 0) {
            return res;
        }
        if (res == 0) {
            struct lfs_tagdata d = {NULL, it.block, doff};
            int err = lfs_live_emit(&s, tag, &d);
            if (err) {
                return err;
            }
        }
    }

    for (int i = 0; i < count; i++) {
        lfs_tag_t tag = attrs[i].tag;
        int err = 0;
        if (lfs_tag_type3(tag) == LFS_FROM_MOVE) {
            const lfs_mdir_t *src = attrs[i].buffer;
            uint16_t srcid = (uint16_t)lfs_tag_size(tag);
            struct lfs_livestate m = s;
            m.from = i + 1;
            m.toid = (uint16_t)lfs_tag_id(tag);
            err = lfs_dir_eachlive(lfs, src, NULL, 0, srcid,
                    (uint16_t)(srcid + 1), lfs_live_fromsource, &m);
        } else if (lfs_tag_type3(tag) == LFS_FROM_USERATTRS) {
            const struct lfs_attr *a = attrs[i].buffer;
            for (lfs_size_t j = 0; !err && j < lfs_tag_size(tag); j++) {
                lfs_tag_t t = lfs_mktag(LFS_TYPE_USERATTR + a[j].type,
                        lfs_tag_id(tag), a[j].size);
                if (lfs_tag_isdelete(t)) {
                    continue;
                }
                int res = lfs_tag_hidden(lfs, NULL, attrs, count, i + 1, &t);
                // cannot fail: without a log (NULL) it reads nothing
                if (res < 0) {
                    return res;
                }
                if (res == 0) {
                    struct lfs_tagdata d = {a[j].buffer, 0, 0};
                    err = lfs_live_emit(&s, t, &d);
                }
            }
        } else if (lfs_tag_iscontent(tag) && !lfs_tag_isdelete(tag)) {
            int res = lfs_tag_hidden(lfs, NULL, attrs, count, i + 1, &tag);
            // cannot fail, as above
            if (res < 0) {
                return res;
            }
            if (res == 0) {
                struct lfs_tagdata d = {attrs[i].buffer, 0, 0};
                err = lfs_live_emit(&s, tag, &d);
            }
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

/* ---- writing a commit ---------------------------------------------------- */

static int lfs_commit_prog(lfs_t *lfs, struct lfs_commit *commit,
        const void *buffer, lfs_size_t size) {
    int err = lfs_bd_prog(lfs, &lfs->pcache, &lfs->rcache, false,
            commit->block, commit->off, buffer, size);
    if (err) {
        return err;
    }
    commit->crc = lfs_crc(commit->crc, buffer, size);
    commit->off += size;
    return 0;
}

static int lfs_commit_attr(lfs_t *lfs, struct lfs_commit *commit,
        lfs_tag_t tag, const struct lfs_tagdata *d) {
    lfs_size_t dsize = lfs_tag_dsize(tag);
    if (commit->off > commit->end || dsize > commit->end - commit->off) {
        return LFS_ERR_NOSPC;
    }
    uint8_t raw[16];
    lfs_put_be32(raw, (tag & 0x7fffffffu) ^ commit->ptag);
    int err = lfs_commit_prog(lfs, commit, raw, 4);
    if (err) {
        return err;
    }

    lfs_size_t size = dsize - 4;
    if (d->buffer || size == 0) {
        err = size ? lfs_commit_prog(lfs, commit, d->buffer, size) : 0;
    } else {
        for (lfs_off_t i = 0; i < size && !err; i += sizeof(raw)) {
            lfs_size_t n = lfs_min(size - i, sizeof(raw));
            err = lfs_bd_read(lfs, NULL, &lfs->rcache, size - i,
                    d->block, d->off + i, raw, n);
            if (!err) {
                err = lfs_commit_prog(lfs, commit, raw, n);
            }
        }
    }
    if (err) {
        return err;
    }
    commit->ptag = tag & 0x7fffffffu;
    return 0;
}

static int lfs_commit_attrcb(void *data, lfs_tag_t tag,
        const struct lfs_tagdata *d) {
    struct lfs_commit *commit = ((void **)data)[1];
    return lfs_commit_attr(((void **)data)[0], commit, tag, d);
}

static int lfs_commit_mem(lfs_t *lfs, struct lfs_commit *commit,
        lfs_tag_t tag, const void *buffer) {
    struct lfs_tagdata d = {buffer, 0, 0};
    return lfs_commit_attr(lfs, commit, tag, &d);
}

/* Close the commit: optional FCRC, CRC tag(s) padding to prog_size, sync,
 * then read the commit back and check its CRC. */
static int lfs_commit_crc(lfs_t *lfs, struct lfs_commit *commit) {
    const lfs_size_t block_size = lfs->cfg->block_size;
    const lfs_size_t prog_size = lfs->cfg->prog_size;
    const lfs_off_t end = lfs_alignup(
            lfs_min(commit->off + 5*4, block_size), prog_size);
    lfs_off_t off1 = 0;
    uint32_t crc1 = 0;

    while (commit->off < end) {
        lfs_off_t noff = lfs_min(end - (commit->off + 4), 0x3fe)
                + (commit->off + 4);
        if (noff < end) {
            // too far for one CRC tag: pad with several commits
            noff = lfs_min(noff, end - 5*4);
        }

        uint8_t eperturb = 0xff;
        if (noff >= end && noff <= block_size - prog_size) {
            int err = lfs_bd_read(lfs, NULL, &lfs->rcache, prog_size,
                    commit->block, noff, &eperturb, 1);
            if (err && err != LFS_ERR_CORRUPT) {
                return err;
            }
            if (lfs_fs_disk_version(lfs) >= 0x00020001) {
                uint32_t fcrc = 0xffffffff;
                err = lfs_bd_crc(lfs, NULL, &lfs->rcache, prog_size,
                        commit->block, noff, prog_size, &fcrc);
                if (err && err != LFS_ERR_CORRUPT) {
                    return err;
                }
                uint8_t raw[8];
                lfs_put_le32(&raw[0], prog_size);
                lfs_put_le32(&raw[4], fcrc);
                err = lfs_commit_mem(lfs, commit,
                        lfs_mktag(LFS_TYPE_FCRC, LFS_ID_NONE, 8), raw);
                if (err) {
                    return err;
                }
            }
        }

        lfs_tag_t ntag = lfs_mktag(LFS_TYPE_CRC + ((uint8_t)~eperturb >> 7),
                LFS_ID_NONE, noff - (commit->off + 4));
        uint8_t raw[8];
        lfs_put_be32(&raw[0], ntag ^ commit->ptag);
        commit->crc = lfs_crc(commit->crc, &raw[0], 4);
        lfs_put_le32(&raw[4], commit->crc);
        int err = lfs_bd_prog(lfs, &lfs->pcache, &lfs->rcache, false,
                commit->block, commit->off, raw, 8);
        if (err) {
            return err;
        }
        if (off1 == 0) {
            off1 = commit->off + 4;
            crc1 = commit->crc;
        }

        commit->off = noff;
        commit->ptag = ntag ^ ((lfs_tag_t)(0x80u & ~eperturb) << 24);
        commit->crc = 0xffffffff;

        // padding is not programmed, so write the cache out here
        if (noff >= end || noff >= lfs->pcache.off + lfs->cfg->cache_size) {
            err = lfs_bd_sync(lfs, &lfs->pcache, &lfs->rcache, false);
            if (err) {
                return err;
            }
        }
    }

    // read it back: the commit's CRC, then the stored CRC itself
    uint32_t crc = 0xffffffff;
    int err = lfs_bd_crc(lfs, NULL, &lfs->rcache, off1 + 4 - commit->begin,
            commit->block, commit->begin, off1 - commit->begin, &crc);
    if (err) {
        return err;
    }
    if (crc != crc1) {
        return LFS_ERR_CORRUPT;
    }
    err = lfs_bd_crc(lfs, NULL, &lfs->rcache, 4,
            commit->block, off1, 4, &crc);
    if (err) {
        return err;
    }
    return crc == 0 ? 0 : LFS_ERR_CORRUPT;
}

/* The change of gstate a commit must carry: what RAM has that the disk
 * does not (orphan counts travel as the sync bit only) and any delta taken
 * over from a dropped pair.  The caller adds the pair's own delta, which
 * the new commit supersedes. */
static void lfs_dir_gdelta(lfs_t *lfs, bool withram, lfs_gstate_t *delta) {
    memset(delta, 0, sizeof(*delta));
    if (withram) {
        lfs_gstate_xor(delta, &lfs->gdisk);
        lfs_gstate_xor(delta, &lfs->gstate);
    }
    lfs_gstate_xor(delta, &lfs->gdelta);
    delta->tag &= ~lfs_mktag(0, 0, 0x3ff);
}

static int lfs_commit_gstate(lfs_t *lfs, struct lfs_commit *commit,
        const lfs_gstate_t *delta) {
    uint8_t raw[12];
    lfs_put_le32(&raw[0], delta->tag);
    lfs_put_le32(&raw[4], delta->pair[0]);
    lfs_put_le32(&raw[8], delta->pair[1]);
    return lfs_commit_mem(lfs, commit,
            lfs_mktag(LFS_TYPE_MOVESTATE, LFS_ID_NONE, 12), raw);
}

/* Write attrs (moves and attribute lists expanded) as one commit. */
static int lfs_commit_each(lfs_t *lfs, struct lfs_commit *commit,
        const struct lfs_mattr *attrs, int count) {
    void *ctx[2] = {lfs, commit};
    for (int i = 0; i < count; i++) {
        lfs_tag_t tag = attrs[i].tag;
        int err;
        if (lfs_tag_type3(tag) == LFS_FROM_MOVE) {
            const lfs_mdir_t *src = attrs[i].buffer;
            uint16_t srcid = (uint16_t)lfs_tag_size(tag);
            struct lfs_livestate m = {lfs, NULL, 0, 0,
                (uint16_t)lfs_tag_id(tag), 0, LFS_ID_NONE,
                lfs_commit_attrcb, ctx};
            err = lfs_dir_eachlive(lfs, src, NULL, 0, srcid,
                    (uint16_t)(srcid + 1), lfs_live_fromsource, &m);
        } else if (lfs_tag_type3(tag) == LFS_FROM_USERATTRS) {
            const struct lfs_attr *a = attrs[i].buffer;
            err = 0;
            for (lfs_size_t j = 0; !err && j < lfs_tag_size(tag); j++) {
                err = lfs_commit_mem(lfs, commit,
                        lfs_mktag(LFS_TYPE_USERATTR + a[j].type,
                            lfs_tag_id(tag), a[j].size), a[j].buffer);
            }
        } else {
            err = lfs_commit_mem(lfs, commit, tag, attrs[i].buffer);
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

/* Append attrs to dir's log.  LFS_ERR_NOSPC or LFS_ERR_CORRUPT mean the
 * caller must compact instead. */
int lfs_dir_append(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count) {
    struct lfs_commit commit = {
        .block = dir->pair[0], .off = dir->off, .ptag = dir->etag,
        .crc = 0xffffffff, .begin = dir->off,
        .end = lfs_metadata_max(lfs) - 8,
    };
    int err = lfs_commit_each(lfs, &commit, attrs, count);
    if (err) {
        return err;
    }

    lfs_gstate_t delta;
    lfs_dir_gdelta(lfs, true, &delta);
    if (!lfs_gstate_iszero(&delta)) {
        err = lfs_gstate_collect(lfs, dir, &delta);
        if (err) {
            return err;
        }
        err = lfs_commit_gstate(lfs, &commit, &delta);
        if (err) {
            return err;
        }
    }

    err = lfs_commit_crc(lfs, &commit);
    if (err) {
        return err;
    }
    dir->off = commit.off;
    dir->etag = commit.ptag;
    dir->erased = true;
    lfs->gdisk = lfs->gstate;
    memset(&lfs->gdelta, 0, sizeof(lfs->gdelta));
    lfs_settle_wrote(lfs, dir);
    return 0;
}

/* ---- compaction ---------------------------------------------------------- */

int lfs_dir_alloc(lfs_t *lfs, lfs_mdir_t *dir) {
    // the second block first, so the first compaction writes pair[1]
    for (int i = 0; i < 2; i++) {
        int err = lfs_alloc(lfs, &dir->pair[(i + 1) % 2]);
        if (err) {
            return err;
        }
    }

    // keep counting from whatever revision the block had, if readable
    uint8_t raw[4];
    int err = lfs_bd_read(lfs, NULL, &lfs->rcache, 4,
            dir->pair[0], 0, raw, 4);
    if (err && err != LFS_ERR_CORRUPT) {
        return err;
    }
    dir->rev = err ? 0 : lfs_get_le32(raw);
    if (lfs->cfg->block_cycles > 0) {
        // start where a relocation is a full cycle away
        dir->rev = lfs_alignup(dir->rev,
                ((uint32_t)lfs->cfg->block_cycles + 1) | 1);
    }
    dir->off = 4;
    dir->etag = 0xffffffff;
    dir->count = 0;
    dir->tail[0] = LFS_BLOCK_NULL;
    dir->tail[1] = LFS_BLOCK_NULL;
    dir->erased = false;
    dir->split = false;
    return 0;
}

static bool lfs_pair_issuper(const lfs_block_t pair[2]) {
    return lfs_pair_issame(pair, (const lfs_block_t[2]){0, 1});
}

/* Rewrite ids [begin, end) of source plus attrs into dir->pair[1], then
 * make it the active block.  Returns 0 or LFS_OK_RELOCATED. */
static int lfs_dir_compact(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count,
        const lfs_mdir_t *source, uint16_t begin, uint16_t end) {
    bool relocated = false;
    bool tired = lfs_dir_needsrelocation(lfs, dir);
    dir->rev += 1;

    // worn enough to move on, unless it is the superblock pair
    bool relocate = tired && !lfs_pair_issuper(dir->pair);

    while (true) {
        if (!relocate) {
            struct lfs_commit commit = {
                .block = dir->pair[1], .off = 0, .ptag = 0xffffffff,
                .crc = 0xffffffff, .begin = 0,
                .end = lfs_metadata_max(lfs) - 8,
            };
            void *ctx[2] = {lfs, &commit};
            uint8_t rawrev[4];
            lfs_gstate_t delta;

            lfs_put_le32(rawrev, dir->rev);
            int err = lfs_bd_erase(lfs, dir->pair[1]);
            if (!err) {
                err = lfs_commit_prog(lfs, &commit, rawrev, 4);
            }
            if (!err) {
                err = lfs_dir_eachlive(lfs, source, attrs, count,
                        begin, end, lfs_commit_attrcb, ctx);
            }
            if (!err && !lfs_pair_isnull(dir->tail)) {
                uint8_t raw[8];
                lfs_put_le32(&raw[0], dir->tail[0]);
                lfs_put_le32(&raw[4], dir->tail[1]);
                err = lfs_commit_mem(lfs, &commit, lfs_mktag(
                        LFS_TYPE_TAIL + dir->split, LFS_ID_NONE, 8), raw);
            }
            if (!err) {
                lfs_dir_gdelta(lfs, !relocated, &delta);
                err = lfs_gstate_collect(lfs, dir, &delta);
                if (err) {
                    return err;
                }
                if (!lfs_gstate_iszero(&delta)) {
                    err = lfs_commit_gstate(lfs, &commit, &delta);
                }
            }
            if (!err) {
                err = lfs_commit_crc(lfs, &commit);
            }
            if (!err) {
                lfs_block_t t = dir->pair[0];
                dir->pair[0] = dir->pair[1];
                dir->pair[1] = t;
                dir->count = (uint16_t)(end - begin);
                dir->off = commit.off;
                dir->etag = commit.ptag;
                dir->erased = true;
                lfs_settle_wrote(lfs, dir);
                memset(&lfs->gdelta, 0, sizeof(lfs->gdelta));
                if (!relocated) {
                    lfs->gdisk = lfs->gstate;
                }
                return relocated ? LFS_OK_RELOCATED : 0;
            }
            if (err != LFS_ERR_CORRUPT) {
                return err;
            }
        }

        // bad or worn block: move this half of the pair elsewhere
        relocate = false;
        relocated = true;
        lfs_cache_drop(&lfs->pcache);
        if (lfs_pair_issuper(dir->pair)) {
            return LFS_ERR_NOSPC;
        }
        int err = lfs_alloc(lfs, &dir->pair[1]);
        if (err && (err != LFS_ERR_NOSPC || !tired)) {
            return err;
        }
        // a tired pair may stay where it is if the disk is full
        tired = false;
    }
}

/* Move ids [split, end) of source plus attrs into a new pair after dir. */
static int lfs_dir_split(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count,
        const lfs_mdir_t *source, uint16_t split, uint16_t end) {
    lfs_mdir_t tail;
    int err = lfs_dir_alloc(lfs, &tail);
    if (err) {
        return err;
    }
    tail.split = dir->split;
    tail.tail[0] = dir->tail[0];
    tail.tail[1] = dir->tail[1];
    int res = lfs_dir_compact(lfs, &tail, attrs, count, source, split, end);
    if (res < 0) {
        return res;
    }
    dir->tail[0] = tail.pair[0];
    dir->tail[1] = tail.pair[1];
    dir->split = true;

    // the root's contents moved on: the root is now the tail
    if (lfs_pair_issame(dir->pair, lfs->root) && split == 0) {
        lfs->root[0] = tail.pair[0];
        lfs->root[1] = tail.pair[1];
    }
    return 0;
}

static int lfs_commit_sizecb(void *data, lfs_tag_t tag,
        const struct lfs_tagdata *d) {
    (void)d;
    lfs_size_t *size = data;
    *size += lfs_tag_dsize(tag);
    return 0;
}

int lfs_dir_splittingcompact(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count,
        const lfs_mdir_t *source, uint16_t begin, uint16_t end) {
    const lfs_size_t metadata_max = lfs_metadata_max(lfs);
    while (true) {
        // halve the range until the upper part fits half a block
        uint16_t split = begin;
        while (end - split > 1) {
            lfs_size_t size = 0;
            int err = lfs_dir_eachlive(lfs, source, attrs, count,
                    split, end, lfs_commit_sizecb, &size);
            if (err) {
                return err;
            }
            // room for a tail (12), gstate (16), a move delete (4) and
            // the CRC (8): 40 bytes
            if (end - split < 0xff && size <= lfs_min(metadata_max - 40,
                    lfs_alignup(metadata_max/2, lfs->cfg->prog_size))) {
                break;
            }
            split = (uint16_t)(split + (end - split) / 2);
        }
        if (split == begin) {
            break;
        }

        int err = lfs_dir_split(lfs, dir, attrs, count, source, split, end);
        if (err && err != LFS_ERR_NOSPC) {
            return err;
        }
        if (err) {
            // no room for a new pair: compact into one, if it fits
            break;
        }
        end = split;
    }

    if (lfs_dir_needsrelocation(lfs, dir) && lfs_pair_issuper(dir->pair)) {
        // the superblock pair wears out: move the root to a new pair,
        // keeping a copy of the superblock entry here, while the disk
        // has more than an eighth free
        lfs_ssize_t size = lfs_fs_rawsize(lfs);
        if (size < 0) {
            return (int)size;
        }
        if (lfs->block_count - (lfs_size_t)size > lfs->block_count/8) {
            int err = lfs_dir_split(lfs, dir, attrs, count,
                    source, begin, end);
            if (err && err != LFS_ERR_NOSPC) {
                return err;
            }
            if (!err) {
                end = 1;
            }
        }
    }

    return lfs_dir_compact(lfs, dir, attrs, count, source, begin, end);
}
