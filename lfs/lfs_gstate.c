/*
 * lfs_gstate.c - global state: a few words every metadata pair can change,
 * stored as deltas whose xor over all pairs is the state.
 *
 * Owns the layout of the move state (12 bytes, little-endian: a tag, then a
 * pair) and its meaning: a move tag (type1 nonzero) names an entry, by id
 * in a pair, whose move to another directory was cut short -- that entry is
 * to be treated as deleted; the tag's size field counts orphans (bit 9 of
 * it is reserved for in-RAM use); the top bit is the sync flag of 2.0
 * images, which counts as one orphan.  Assumes the mdir layer for reading
 * a pair's delta.
 */
#include "lfs_internal.h"

void lfs_gstate_xor(lfs_gstate_t *a, const lfs_gstate_t *b) {
    a->tag ^= b->tag;
    a->pair[0] ^= b->pair[0];
    a->pair[1] ^= b->pair[1];
}

bool lfs_gstate_iszero(const lfs_gstate_t *a) {
    return a->tag == 0 && a->pair[0] == 0 && a->pair[1] == 0;
}

uint32_t lfs_gstate_orphans(const lfs_gstate_t *a) {
    return lfs_tag_size(a->tag) & 0x1ff;
}

bool lfs_gstate_hasmove(const lfs_gstate_t *a) {
    return lfs_tag_type1(a->tag) != 0;
}

bool lfs_gstate_hasmovehere(const lfs_gstate_t *a, const lfs_block_t pair[2]) {
    return lfs_gstate_hasmove(a) && lfs_pair_sharesblock(a->pair, pair);
}

void lfs_gstate_fromdisk(lfs_gstate_t *a, const uint8_t raw[12]) {
    a->tag = lfs_get_le32(&raw[0]);
    a->pair[0] = lfs_get_le32(&raw[4]);
    a->pair[1] = lfs_get_le32(&raw[8]);
}

/* Fold the delta of one fetched pair into gstate. */
int lfs_gstate_collect(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_gstate_t *gstate) {
    uint8_t raw[12];
    lfs_stag_t res = lfs_mdir_get(lfs, dir, lfs_mktag(0x7ff, 0, 0),
            lfs_mktag(LFS_TYPE_MOVESTATE, 0, sizeof(raw)), raw);
    if (res == LFS_ERR_NOENT) {
        return 0;
    }
    if (res < 0) {
        return res;
    }
    lfs_gstate_t delta;
    lfs_gstate_fromdisk(&delta, raw);
    lfs_gstate_xor(gstate, &delta);
    return 0;
}

/* After summing all deltas: a set sync flag (2.0) means one orphan. */
void lfs_gstate_finish(lfs_gstate_t *a) {
    a->tag += !lfs_tag_isvalid(a->tag);
}
