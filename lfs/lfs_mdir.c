/*
 * lfs_mdir.c - metadata pairs: fetching the newest valid state of a pair
 * and looking tags up in it.
 *
 * A pair is two blocks, each a revision count followed by a log of commits;
 * a commit is xor-chained big-endian tags with their data, closed by a CRC
 * tag whose CRC-32 covers everything since the previous CRC tag (the first
 * commit's covers the revision count).  Fetching tries the block with the
 * newer revision (sequence arithmetic) first, walks its log forward and
 * keeps the state as of the last commit whose CRC checks; a torn or garbage
 * commit ends the walk.  If a block has no valid commit the other one is
 * tried.  A 2.1 FCRC tag records the CRC of the erased bytes after its
 * commit; the write path uses the result (mdir.erased).
 *
 * Lookups walk the valid log backward from its end, so the newest tag for
 * an (type, id) wins, following creates and deletes (which shift the ids
 * at and above theirs).  A pending move in the on-disk gstate hides its
 * source entry: ids above it read as one lower, as if the delete that
 * completes the move had been committed.
 *
 * Assumes the cache layer for all reads (which bounds every read by the
 * block size and block count) and lfs->gdisk holding the on-disk gstate
 * (zero while mounting).  Anything read from disk is checked before use:
 * tags past the block end, CRC tags too short for a CRC, tails and FCRCs
 * too short, and id counts outside 0..0x3ff end the walk as a bad commit.
 */
#include "lfs_internal.h"

bool lfs_pair_isnull(const lfs_block_t pair[2]) {
    return pair[0] == LFS_BLOCK_NULL || pair[1] == LFS_BLOCK_NULL;
}

/* True if the pairs have any block in common. */
bool lfs_pair_sharesblock(const lfs_block_t a[2], const lfs_block_t b[2]) {
    return a[0] == b[0] || a[1] == b[1] || a[0] == b[1] || a[1] == b[0];
}

/* True if the pairs are the same two blocks, in either order. */
bool lfs_pair_issame(const lfs_block_t a[2], const lfs_block_t b[2]) {
    return (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0]);
}

void lfs_pair_fromdisk(lfs_block_t pair[2], const uint8_t raw[8]) {
    pair[0] = lfs_get_le32(&raw[0]);
    pair[1] = lfs_get_le32(&raw[4]);
}

/* Which block of a pair to try first: the readable one with the newer
 * revision, block 0 on a tie. */
int lfs_mdir_newest(uint32_t rev0, bool ok0, uint32_t rev1, bool ok1) {
    if (!ok0) {
        return ok1 ? 1 : 0;
    }
    return (ok1 && lfs_scmp(rev1, rev0) > 0) ? 1 : 0;
}

void lfs_chainwalk_start(lfs_chainwalk_t *walk) {
    walk->pair[0] = LFS_BLOCK_NULL;
    walk->pair[1] = LFS_BLOCK_NULL;
    walk->steps = 1;
    walk->power = 1;
}

int lfs_chainwalk_step(lfs_chainwalk_t *walk, const lfs_block_t pair[2]) {
    if (lfs_pair_issame(pair, walk->pair)) {
        return LFS_ERR_CORRUPT;
    }
    if (walk->steps == walk->power) {
        walk->pair[0] = pair[0];
        walk->pair[1] = pair[1];
        walk->steps = 0;
        walk->power = (walk->power < 0x80000000u) ? 2 * walk->power
                : walk->power;
    }
    walk->steps += 1;
    return 0;
}

int lfs_mdir_fetchtail(lfs_t *lfs, lfs_chainwalk_t *walk, lfs_mdir_t *dir) {
    int err = lfs_chainwalk_step(walk, dir->tail);
    if (err) {
        return err;
    }
    return lfs_mdir_fetch(lfs, dir, dir->tail);
}

int lfs_mdir_namecmp(void *data, lfs_tag_t tag,
        lfs_block_t block, lfs_off_t off) {
    struct lfs_mdir_name *name = data;
    lfs_size_t disksize = lfs_tag_datasize(tag);
    lfs_size_t diff = lfs_min(name->size, disksize);
    int res = lfs_bd_cmp(name->lfs, NULL, &name->lfs->rcache, diff,
            block, off, name->name, diff);
    if (res != LFS_CMP_EQ) {
        return res;
    }
    // on a common prefix the longer name sorts first
    if (name->size != disksize) {
        return name->size < disksize ? LFS_CMP_LT : LFS_CMP_GT;
    }
    return LFS_CMP_EQ;
}

/* State of one commit being walked, kept apart until its CRC checks. */
struct lfs_commitstate {
    lfs_tag_t besttag;
    int32_t count;
    bool split;
    lfs_block_t tail[2];
    bool hasfcrc;
    lfs_size_t fcrcsize;
    uint32_t fcrc;
};

/* Walk one block's log.  Fills dir with the state as of the last valid
 * commit (dir->off stays 0 if there is none) and *besttag with the best
 * match as of that commit: the matching tag, or with its top bit set the
 * first entry sorting after it, or -1.  Returns 0 or a negative error
 * other than LFS_ERR_CORRUPT (corruption just ends the walk). */
static int lfs_mdir_walklog(lfs_t *lfs, lfs_mdir_t *dir,
        const uint8_t rawrev[4], lfs_tag_t fmask, lfs_tag_t ftag,
        lfs_mdir_match_t match, void *data, lfs_tag_t *besttag) {
    const lfs_size_t block_size = lfs->cfg->block_size;
    const lfs_block_t block = dir->pair[0];
    struct lfs_commitstate temp = {
        .besttag = (lfs_tag_t)-1, .count = 0, .split = false,
        .tail = {LFS_BLOCK_NULL, LFS_BLOCK_NULL}, .hasfcrc = false,
    };
    struct lfs_commitstate last = temp;
    bool maybeerased = false;
    lfs_off_t off = 4;
    lfs_tag_t ptag = 0xffffffff;
    uint32_t crc = lfs_crc(0xffffffff, rawrev, 4);

    dir->off = 0;
    dir->etag = 0;
    dir->count = 0;
    dir->split = false;
    dir->tail[0] = LFS_BLOCK_NULL;
    dir->tail[1] = LFS_BLOCK_NULL;
    dir->erased = false;

    while (true) {
        uint8_t raw[8];
        int err = lfs_bd_read(lfs, NULL, &lfs->rcache, block_size,
                block, off, raw, 4);
        if (err) {
            if (err == LFS_ERR_CORRUPT) {
                break;
            }
            return err;
        }
        crc = lfs_crc(crc, raw, 4);
        lfs_tag_t tag = lfs_get_be32(raw) ^ ptag;

        if (!lfs_tag_isvalid(tag)) {
            // end of the log, erased if the last tag closed a commit
            maybeerased = lfs_tag_iscrc(ptag);
            break;
        }
        // past this check every read of the tag's data (and a match's)
        // stays inside the block: their LFS_ERR_CORRUPT breaks below are
        // defensive, only device errors come back
        if (lfs_tag_dsize(tag) > block_size - off) {
            break;
        }
        ptag = tag;
        lfs_size_t dsize = lfs_tag_datasize(tag);

        if (lfs_tag_iscrc(tag)) {
            if (dsize < 4) {
                break;
            }
            err = lfs_bd_read(lfs, NULL, &lfs->rcache, block_size,
                    block, off + 4, raw, 4);
            if (err) {
                if (err == LFS_ERR_CORRUPT) {
                    break;
                }
                return err;
            }
            if (crc != lfs_get_le32(raw)) {
                break;
            }

            // the chunk's low bit says what valid bit the next commit
            // must carry
            ptag ^= (lfs_tag_t)(lfs_tag_chunk(tag) & 1u) << 31;

            // commit CRCs seed the allocator
            lfs_put_le32(raw, crc);
            lfs->seed = lfs_crc(lfs->seed, raw, 4);

            last = temp;
            temp.hasfcrc = false;
            dir->off = off + lfs_tag_dsize(tag);
            dir->etag = ptag;
            crc = 0xffffffff;
            off += lfs_tag_dsize(tag);
            continue;
        }

        err = lfs_bd_crc(lfs, NULL, &lfs->rcache, block_size,
                block, off + 4, dsize, &crc);
        if (err) {
            if (err == LFS_ERR_CORRUPT) {
                break;
            }
            return err;
        }

        uint32_t type1 = lfs_tag_type1(tag);
        if (type1 == LFS_TYPE_NAME) {
            if (lfs_tag_id(tag) == LFS_ID_NONE) {
                break;
            }
            if ((int32_t)lfs_tag_id(tag) >= temp.count) {
                temp.count = (int32_t)lfs_tag_id(tag) + 1;
            }
        } else if (type1 == LFS_TYPE_SPLICE) {
            temp.count += lfs_tag_splice(tag);
            if (lfs_tag_id(tag) == LFS_ID_NONE
                    || temp.count < 0 || temp.count > LFS_ID_NONE) {
                break;
            }
            if (tag == (lfs_mktag(LFS_TYPE_DELETE, 0, 0)
                    | (lfs_mktag(0, 0x3ff, 0) & temp.besttag))) {
                // our match was deleted
                temp.besttag |= 0x80000000u;
            } else if (temp.besttag != (lfs_tag_t)-1
                    && lfs_tag_id(tag) <= lfs_tag_id(temp.besttag)) {
                temp.besttag = lfs_tag_shift(temp.besttag,
                        lfs_tag_splice(tag));
            }
        } else if (type1 == LFS_TYPE_TAIL) {
            if (dsize < 8) {
                break;
            }
            err = lfs_bd_read(lfs, NULL, &lfs->rcache, block_size,
                    block, off + 4, raw, 8);
            if (err) {
                if (err == LFS_ERR_CORRUPT) {
                    break;
                }
                return err;
            }
            temp.split = lfs_tag_chunk(tag) & 1;
            lfs_pair_fromdisk(temp.tail, raw);
        } else if (lfs_tag_type3(tag) == LFS_TYPE_FCRC) {
            if (dsize < 8) {
                break;
            }
            err = lfs_bd_read(lfs, NULL, &lfs->rcache, block_size,
                    block, off + 4, raw, 8);
            if (err) {
                if (err == LFS_ERR_CORRUPT) {
                    break;
                }
                return err;
            }
            temp.hasfcrc = true;
            temp.fcrcsize = lfs_get_le32(&raw[0]);
            temp.fcrc = lfs_get_le32(&raw[4]);
        }

        if (match && (fmask & tag) == (fmask & ftag)) {
            int res = match(data, tag, block, off + 4);
            if (res < 0) {
                if (res == LFS_ERR_CORRUPT) {
                    break;
                }
                return res;
            }
            if (res == LFS_CMP_EQ) {
                temp.besttag = tag;
            } else if ((lfs_mktag(0x7ff, 0x3ff, 0) & tag)
                    == (lfs_mktag(0x7ff, 0x3ff, 0) & temp.besttag)) {
                // the same tag again, no longer matching: overwritten
                temp.besttag = (lfs_tag_t)-1;
            } else if (res == LFS_CMP_GT
                    && lfs_tag_id(tag) <= lfs_tag_id(temp.besttag)) {
                // the first entry sorting after the name we look for
                temp.besttag = tag | 0x80000000u;
            }
        }

        off += lfs_tag_dsize(tag);
    }

    *besttag = last.besttag;
    if (dir->off == 0) {
        return 0;
    }

    dir->count = (uint16_t)last.count;
    dir->split = last.split;
    dir->tail[0] = last.tail[0];
    dir->tail[1] = last.tail[1];

    // is the rest of the block erased, so the write path can append?
    if (maybeerased && dir->off % lfs->cfg->prog_size == 0) {
        // 2.0 commits carry no FCRC: a mount writing 2.0 trusts the
        // valid bit alone, as 2.0 did
        if (lfs_fs_disk_version(lfs) < 0x00020001) {
            dir->erased = true;
        } else if (last.hasfcrc && last.fcrcsize <= block_size - dir->off) {
            uint32_t fcrc = 0xffffffff;
            int err = lfs_bd_crc(lfs, NULL, &lfs->rcache, block_size,
                    block, dir->off, last.fcrcsize, &fcrc);
            if (err && err != LFS_ERR_CORRUPT) {
                return err;
            }
            dir->erased = !err && fcrc == last.fcrc;
        }
    }

    return 0;
}

lfs_stag_t lfs_mdir_fetchmatch(lfs_t *lfs, lfs_mdir_t *dir,
        const lfs_block_t pairin[2], lfs_tag_t fmask, lfs_tag_t ftag,
        uint16_t *id, lfs_mdir_match_t match, void *data) {
    const lfs_block_t pair[2] = {pairin[0], pairin[1]};
    if (lfs_pair_isnull(pair) || (lfs->block_count
            && (pair[0] >= lfs->block_count || pair[1] >= lfs->block_count))) {
        return LFS_ERR_CORRUPT;
    }

    uint8_t rawrevs[2][4];
    bool ok[2];
    for (int i = 0; i < 2; i++) {
        int err = lfs_bd_read(lfs, NULL, &lfs->rcache, 4,
                pair[i], 0, rawrevs[i], 4);
        if (err && err != LFS_ERR_CORRUPT) {
            return err;
        }
        ok[i] = !err;
        if (err) {
            memset(rawrevs[i], 0, 4);
        }
    }
    int r = lfs_mdir_newest(lfs_get_le32(rawrevs[0]), ok[0],
            lfs_get_le32(rawrevs[1]), ok[1]);

    for (int i = 0; i < 2; i++) {
        int b = (r + i) % 2;
        dir->pair[0] = pair[b];
        dir->pair[1] = pair[1 - b];
        dir->rev = lfs_get_le32(rawrevs[b]);
        if (!ok[b]) {
            continue;
        }

        lfs_tag_t besttag;
        int err = lfs_mdir_walklog(lfs, dir, rawrevs[b],
                fmask, ftag, match, data, &besttag);
        if (err) {
            return err;
        }
        if (dir->off == 0) {
            continue;
        }

        // a pending move out of this pair hides its source
        if (lfs_gstate_hasmovehere(&lfs->gdisk, dir->pair)) {
            if (lfs_tag_id(lfs->gdisk.tag) == lfs_tag_id(besttag)) {
                besttag |= 0x80000000u;
            } else if (besttag != (lfs_tag_t)-1
                    && lfs_tag_id(lfs->gdisk.tag) < lfs_tag_id(besttag)) {
                besttag = lfs_tag_shift(besttag, -1);
            }
        }

        if (id) {
            *id = (uint16_t)lfs_min(lfs_tag_id(besttag), dir->count);
        }
        if (lfs_tag_isvalid(besttag)) {
            return (lfs_stag_t)besttag;
        } else if (lfs_tag_id(besttag) < dir->count) {
            return LFS_ERR_NOENT;
        } else {
            return 0;
        }
    }

    return LFS_ERR_CORRUPT;
}

int lfs_mdir_fetch(lfs_t *lfs, lfs_mdir_t *dir, const lfs_block_t pair[2]) {
    lfs_stag_t res = lfs_mdir_fetchmatch(lfs, dir, pair,
            0, 0, NULL, NULL, NULL);
    return res < 0 && res != LFS_ERR_NOENT ? (int)res : 0;
}

lfs_stag_t lfs_mdir_getslice(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_tag_t gmask, lfs_tag_t gtag,
        lfs_off_t goff, void *gbuffer, lfs_size_t gsize) {
    lfs_off_t off = dir->off;
    lfs_tag_t ntag = dir->etag;
    int32_t gdiff = 0;
    bool byid = lfs_tag_id(gmask) != 0;

    // ids at or above a pending move's source read one higher on disk
    if (byid && lfs_gstate_hasmovehere(&lfs->gdisk, dir->pair)
            && lfs_tag_id(lfs->gdisk.tag) <= lfs_tag_id(gtag)) {
        gdiff -= 1;
        // only a pair holding id 0x3fe (the core splits pairs at 0xff ids)
        // with a move below it: no test builds one
        if (lfs_tag_id(gtag) + 1 >= LFS_ID_NONE) {
            return LFS_ERR_NOENT;
        }
    }

    while (off >= 4 + lfs_tag_dsize(ntag)) {
        off -= lfs_tag_dsize(ntag);
        lfs_tag_t tag = ntag;
        uint8_t raw[4];
        int err = lfs_bd_read(lfs, NULL, &lfs->rcache, 4,
                dir->pair[0], off, raw, 4);
        if (err) {
            return err;
        }
        ntag = (lfs_get_be32(raw) ^ tag) & 0x7fffffffu;

        lfs_tag_t want = lfs_tag_shift(gtag, -gdiff);
        if (byid && lfs_tag_type1(tag) == LFS_TYPE_SPLICE
                && lfs_tag_id(tag) <= lfs_tag_id(want)) {
            if (tag == (lfs_mktag(LFS_TYPE_CREATE, 0, 0)
                    | (lfs_mktag(0, 0x3ff, 0) & want))) {
                // reached the entry's creation: nothing older is its
                return LFS_ERR_NOENT;
            }
            gdiff += lfs_tag_splice(tag);
            // an id history that leaves the id range is not a real log
            int32_t wantid = (int32_t)lfs_tag_id(gtag) - gdiff;
            if (wantid < 0 || wantid >= LFS_ID_NONE) {
                return LFS_ERR_CORRUPT;
            }
            want = lfs_tag_shift(gtag, -gdiff);
        }

        if ((gmask & tag) == (gmask & want)) {
            if (lfs_tag_isdelete(tag)) {
                return LFS_ERR_NOENT;
            }
            lfs_size_t size = lfs_tag_size(tag);
            lfs_size_t diff = goff < size ? lfs_min(size - goff, gsize) : 0;
            err = lfs_bd_read(lfs, NULL, &lfs->rcache, diff,
                    dir->pair[0], off + 4 + goff, gbuffer, diff);
            if (err) {
                return err;
            }
            if (gsize > diff) {     // gbuffer may be NULL when gsize is 0
                memset((uint8_t*)gbuffer + diff, 0, gsize - diff);
            }
            return (lfs_stag_t)lfs_tag_shift(tag, gdiff);
        }
    }

    return LFS_ERR_NOENT;
}

lfs_stag_t lfs_mdir_get(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_tag_t gmask, lfs_tag_t gtag, void *buffer) {
    return lfs_mdir_getslice(lfs, dir, gmask, gtag,
            0, buffer, lfs_tag_size(gtag));
}

/* Read [off, off+size) of a tag's data through rcache, which caches a
 * window of that data under block LFS_BLOCK_INLINE. */
int lfs_mdir_getread(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_cache_t *rcache, lfs_size_t hint,
        lfs_tag_t gmask, lfs_tag_t gtag,
        lfs_off_t off, void *buffer, lfs_size_t size) {
    uint8_t *data = buffer;
    // defensive: the one caller, lfs_file_rawread, stays inside the block
    if (off > lfs->cfg->block_size || size > lfs->cfg->block_size - off) {
        return LFS_ERR_CORRUPT;
    }
    hint = lfs_max(hint, size);

    while (size > 0) {
        if (rcache->block == LFS_BLOCK_INLINE
                && off >= rcache->off && off < rcache->off + rcache->size) {
            lfs_size_t diff = lfs_min(size, rcache->size - (off - rcache->off));
            memcpy(data, &rcache->buffer[off - rcache->off], diff);
            data += diff;
            off += diff;
            size -= diff;
            continue;
        }

        rcache->block = LFS_BLOCK_INLINE;
        rcache->off = lfs_aligndown(off, lfs->cfg->read_size);
        rcache->size = lfs_min(
                lfs_alignup(off + hint, lfs->cfg->read_size) - rcache->off,
                lfs->cfg->cache_size);
        lfs_stag_t res = lfs_mdir_getslice(lfs, dir, gmask, gtag,
                rcache->off, rcache->buffer, rcache->size);
        if (res < 0) {
            lfs_cache_drop(rcache);
            return (int)res;
        }
    }

    return 0;
}
