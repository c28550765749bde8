/*
 * lfs_tag.h - the 32-bit metadata tag: field layout, on-disk types, and the
 * decoding helpers every layer above the cache uses.
 *
 *   [1 valid | 11 type3 (3 type1 + 8 chunk) | 10 id | 10 size]
 *
 * Tags are stored big-endian and xor-chained with the previous tag, the
 * chain starting from 0xffffffff; lfs_mdir.c undoes the chaining, so every
 * tag seen by these helpers is a plain tag.  A valid tag has its top bit
 * clear.  A size of 0x3ff marks a deleted tag (no data follows it).
 */
#ifndef LFS_TAG_H
#define LFS_TAG_H

#include "lfs.h"

typedef uint32_t lfs_tag_t;
typedef int32_t lfs_stag_t;    /* a tag, or a negative error */

/* On-disk tag types (type3), and type1 groups. */
enum lfs_tag_type {
    /* type1 0x0: names; chunk is the entry type (LFS_TYPE_REG/DIR) */
    LFS_TYPE_NAME         = 0x000,
    LFS_TYPE_SUPERBLOCK   = 0x0ff,
    /* type1 0x2: where an entry's data lives */
    LFS_TYPE_STRUCT       = 0x200,
    LFS_TYPE_DIRSTRUCT    = 0x200,
    LFS_TYPE_INLINESTRUCT = 0x201,
    LFS_TYPE_CTZSTRUCT    = 0x202,
    /* type1 0x3: user attributes; chunk is the attribute type */
    LFS_TYPE_USERATTR     = 0x300,
    /* type1 0x4: splices shift the ids at and above theirs */
    LFS_TYPE_SPLICE       = 0x400,
    LFS_TYPE_CREATE       = 0x401,
    LFS_TYPE_DELETE       = 0x4ff,
    /* type1 0x5: end of commit; chunk bit 0 is the next valid state */
    LFS_TYPE_CRC          = 0x500,
    LFS_TYPE_FCRC         = 0x5ff,
    /* type1 0x6: the pair's tail; chunk bit 0 set = hard tail */
    LFS_TYPE_TAIL         = 0x600,
    LFS_TYPE_SOFTTAIL     = 0x600,
    LFS_TYPE_HARDTAIL     = 0x601,
    /* type1 0x7: global state deltas */
    LFS_TYPE_GLOBALS      = 0x700,
    LFS_TYPE_MOVESTATE    = 0x7ff,
};

/* Null and inline block addresses. */
#define LFS_BLOCK_NULL   ((lfs_block_t)0xffffffff)
#define LFS_BLOCK_INLINE ((lfs_block_t)0xfffffffe)

/* Id of tags that belong to the pair rather than to an entry. */
#define LFS_ID_NONE 0x3ff

static inline lfs_tag_t lfs_mktag(uint32_t type, uint32_t id, uint32_t size) {
    return ((lfs_tag_t)type << 20) | ((lfs_tag_t)id << 10) | (lfs_tag_t)size;
}

static inline bool lfs_tag_isvalid(lfs_tag_t tag) {
    return !(tag & 0x80000000u);
}

static inline bool lfs_tag_isdelete(lfs_tag_t tag) {
    return (tag & 0x3ffu) == 0x3ffu;
}

static inline uint32_t lfs_tag_type1(lfs_tag_t tag) {
    return (tag & 0x70000000u) >> 20;
}

static inline uint32_t lfs_tag_type3(lfs_tag_t tag) {
    return (tag & 0x7ff00000u) >> 20;
}

static inline uint32_t lfs_tag_chunk(lfs_tag_t tag) {
    return (tag & 0x0ff00000u) >> 20;
}

/* A splice's id shift: chunk read as a signed byte (+1 create, -1 delete). */
static inline int32_t lfs_tag_splice(lfs_tag_t tag) {
    uint32_t c = lfs_tag_chunk(tag);
    return c < 0x80 ? (int32_t)c : (int32_t)c - 0x100;
}

static inline uint32_t lfs_tag_id(lfs_tag_t tag) {
    return (tag & 0x000ffc00u) >> 10;
}

static inline uint32_t lfs_tag_size(lfs_tag_t tag) {
    return tag & 0x3ffu;
}

/* Bytes of data that follow the tag on disk (0 for a deleted tag). */
static inline uint32_t lfs_tag_datasize(lfs_tag_t tag) {
    return lfs_tag_isdelete(tag) ? 0 : lfs_tag_size(tag);
}

/* Bytes the tag and its data take on disk. */
static inline uint32_t lfs_tag_dsize(lfs_tag_t tag) {
    return 4 + lfs_tag_datasize(tag);
}

/* Commit CRC tag (0x500-0x57f); the FCRC tag is not one. */
static inline bool lfs_tag_iscrc(lfs_tag_t tag) {
    return (lfs_tag_type3(tag) & 0x780) == LFS_TYPE_CRC;
}

/* Shift a tag's id by diff (wrapping inside the tag's arithmetic). */
static inline lfs_tag_t lfs_tag_shift(lfs_tag_t tag, int32_t diff) {
    return tag + ((lfs_tag_t)diff << 10);
}

#endif
