/*
 * fsck_mdir.c - metadata blocks and pairs decoded for fsck and salvage,
 * independently of the core's fetch: every commit of a block with its CRC
 * status (parsing goes on past a bad commit while the tag chain still
 * holds, so a bad commit followed by good ones can be told from a torn
 * last one), the current block of a pair, and its good commits replayed
 * into entries, tail and gstate delta.
 *
 * Assumes the layout of lfs_tag.h: tags big-endian, xor-chained from
 * 0xffffffff; a commit's CRC covers the revision (first commit only), each
 * tag's stored bytes and data and the CRC tag itself; after a CRC tag the
 * chain flips the valid bit by the tag's chunk bit 0.
 */
#include "fsck.h"

#include <stdlib.h>
#include <string.h>

#include "lfs_tag.h"
#include "lfs_util.h"

void fsck_block_free(struct fsck_block *b)
{
    free(b->data);
    free(b->commits);
    memset(b, 0, sizeof(*b));
}

static int add_commit(struct fsck_block *b, uint32_t off, uint32_t end, bool ok)
{
    struct fsck_commit *c = realloc(b->commits, sizeof(*c) * (size_t)(b->ncommits + 1));
    if (!c) {
        return -1;
    }
    b->commits = c;
    c[b->ncommits++] = (struct fsck_commit){off, end, ok};
    if (!ok && b->first_bad < 0) {
        b->first_bad = b->ncommits - 1;
    } else if (ok && b->first_bad < 0) {
        b->nvalid = b->ncommits;
    } else if (ok) {
        b->valid_after_bad = true;
    }
    return 0;
}

int fsck_block_decode(const struct fsck_dev *dev, uint32_t block, struct fsck_block *b)
{
    memset(b, 0, sizeof(*b));
    b->block = block;
    b->first_bad = -1;
    uint32_t bs = dev->block_size;
    b->data = malloc(bs);
    if (!b->data || fsck_dev_read(dev, block, 0, b->data, bs) < 0) {
        fsck_block_free(b);
        return -1;
    }
    const uint8_t *d = b->data;
    b->rev = lfs_get_le32(d);
    uint32_t crc = lfs_crc(0xffffffffu, d, 4);
    uint32_t off = 4, start = 0;
    lfs_tag_t ptag = 0xffffffffu;
    while (off + 4 <= bs) {
        lfs_tag_t tag = lfs_get_be32(d + off) ^ ptag;
        if (!lfs_tag_isvalid(tag) || lfs_tag_dsize(tag) > bs - off) {
            break;
        }
        crc = lfs_crc(crc, d + off, 4);
        if (lfs_tag_iscrc(tag)) {
            if (lfs_tag_datasize(tag) < 4) {
                break;
            }
            bool ok = lfs_get_le32(d + off + 4) == crc;
            uint32_t end = off + lfs_tag_dsize(tag);
            if (add_commit(b, start, end, ok) < 0) {
                fsck_block_free(b);
                return -1;
            }
            ptag = tag ^ ((lfs_tag_chunk(tag) & 1u) << 31);
            crc = 0xffffffffu;
            off = start = end;
            continue;
        }
        crc = lfs_crc(crc, d + off + 4, lfs_tag_datasize(tag));
        ptag = tag;
        off += lfs_tag_dsize(tag);
    }
    /* tags after the last CRC tag: a commit that never finished */
    if (off > (start == 0 ? 4u : start)) {
        b->torn_off = start;
    }
    return 0;
}

uint32_t fsck_ctz_blocks(uint32_t block_size, uint32_t size)
{
    if (size == 0) {
        return 0;
    }
    uint64_t held = block_size;
    uint32_t n = 1;
    while (held < size) {
        held += block_size - 4 * (lfs_ctz(n) + 1);
        n++;
    }
    return n;
}

void fsck_pair_free(struct fsck_pair *p)
{
    fsck_block_free(&p->blocks[0]);
    fsck_block_free(&p->blocks[1]);
    for (uint32_t i = 0; i < p->count; i++) {
        free(p->entries[i].attrs);
    }
    free(p->entries);
    memset(p, 0, sizeof(*p));
    p->current = -1;
}

const struct fsck_block *fsck_pair_block(const struct fsck_pair *p)
{
    return p->current < 0 ? NULL : &p->blocks[p->current];
}

/* Makes room for id (the array grows to id + 1 entries). */
static int ensure_id(struct fsck_pair *p, uint32_t id)
{
    if (id < p->count) {
        return 0;
    }
    struct fsck_entry *e = realloc(p->entries, sizeof(*e) * (id + 1));
    if (!e) {
        return -1;
    }
    memset(e + p->count, 0, sizeof(*e) * (id + 1 - p->count));
    p->entries = e;
    p->count = id + 1;
    return 0;
}

static int set_attr(struct fsck_entry *e, uint8_t type, lfs_tag_t tag, uint32_t off)
{
    for (int i = 0; i < e->nattrs; i++) {
        if (e->attrs[i].type == type) {
            if (lfs_tag_isdelete(tag)) {
                e->attrs[i] = e->attrs[--e->nattrs];
            } else {
                e->attrs[i].off = off + 4;
                e->attrs[i].len = lfs_tag_size(tag);
            }
            return 0;
        }
    }
    if (lfs_tag_isdelete(tag)) {
        return 0;
    }
    struct fsck_attr *a = realloc(e->attrs, sizeof(*a) * (size_t)(e->nattrs + 1));
    if (!a) {
        return -1;
    }
    e->attrs = a;
    a[e->nattrs++] = (struct fsck_attr){type, off + 4, lfs_tag_size(tag)};
    return 0;
}

/* Applies one tag of a good commit to the pair's state. */
static int apply_tag(struct fsck_pair *p, lfs_tag_t tag, uint32_t off)
{
    uint32_t id = lfs_tag_id(tag);
    uint32_t type1 = lfs_tag_type1(tag), type3 = lfs_tag_type3(tag);
    if (type1 == LFS_TYPE_SPLICE && id != LFS_ID_NONE) {
        if (lfs_tag_splice(tag) > 0) {
            if (ensure_id(p, p->count > id ? p->count : id) < 0) {
                return -1;
            }
            memmove(p->entries + id + 1, p->entries + id,
                    sizeof(*p->entries) * (p->count - 1 - id));
            memset(&p->entries[id], 0, sizeof(*p->entries));
        } else if (lfs_tag_splice(tag) < 0 && id < p->count) {
            free(p->entries[id].attrs);
            memmove(p->entries + id, p->entries + id + 1,
                    sizeof(*p->entries) * (p->count - 1 - id));
            p->count--;
        }
        return 0;
    }
    if (type3 == LFS_TYPE_MOVESTATE) {
        if (lfs_tag_datasize(tag) >= 12) {
            memcpy(p->gdelta, p->blocks[p->current].data + off + 4, 12);
            p->has_gdelta = true;
            p->gdelta_off = off;
        }
        return 0;
    }
    if (type1 == LFS_TYPE_TAIL) {
        if (!lfs_tag_isdelete(tag) && lfs_tag_size(tag) >= 8) {
            const uint8_t *d = p->blocks[p->current].data + off + 4;
            p->has_tail = true;
            p->hard_tail = type3 & 1;
            p->tail[0] = lfs_get_le32(d);
            p->tail[1] = lfs_get_le32(d + 4);
            p->tail_off = off;
        }
        return 0;
    }
    if (id == LFS_ID_NONE || lfs_tag_iscrc(tag) || type3 == LFS_TYPE_FCRC) {
        return 0;
    }
    if (type1 != LFS_TYPE_NAME && type1 != LFS_TYPE_STRUCT && type1 != LFS_TYPE_USERATTR) {
        return 0;
    }
    if (ensure_id(p, id) < 0) {
        return -1;
    }
    struct fsck_entry *e = &p->entries[id];
    if (type1 == LFS_TYPE_NAME) {
        e->name_type = lfs_tag_isdelete(tag) ? 0 : type3;
        e->name_off = off + 4;
        e->name_len = lfs_tag_datasize(tag);
        e->tag_off = off;
    } else if (type1 == LFS_TYPE_STRUCT) {
        e->struct_type = lfs_tag_isdelete(tag) ? 0 : type3;
        e->struct_off = off + 4;
        e->struct_len = lfs_tag_datasize(tag);
        e->struct_tag_off = off;
    } else {
        return set_attr(e, (uint8_t)lfs_tag_chunk(tag), tag, off);
    }
    return 0;
}

static int replay(struct fsck_pair *p)
{
    const struct fsck_block *b = &p->blocks[p->current];
    const uint8_t *d = b->data;
    uint32_t off = 4;
    lfs_tag_t ptag = 0xffffffffu;
    uint32_t end = b->commits[b->nvalid - 1].end;
    while (off + 4 <= end) {
        lfs_tag_t tag = lfs_get_be32(d + off) ^ ptag;
        if (lfs_tag_iscrc(tag)) {
            ptag = tag ^ ((lfs_tag_chunk(tag) & 1u) << 31);
        } else {
            ptag = tag;
            if (apply_tag(p, tag, off) < 0) {
                return -1;
            }
        }
        off += lfs_tag_dsize(tag);
    }
    return 0;
}

int fsck_pair_load(const struct fsck_dev *dev, uint32_t a, uint32_t b,
        struct fsck_pair *p)
{
    memset(p, 0, sizeof(*p));
    p->current = -1;
    p->pair[0] = a;
    p->pair[1] = b;
    for (int i = 0; i < 2; i++) {
        if (i == 1 && a == b) {
            break;
        }
        uint32_t blk = p->pair[i];
        if (blk >= dev->block_count) {
            continue;
        }
        if (fsck_block_decode(dev, blk, &p->blocks[i]) < 0) {
            fsck_pair_free(p);
            return -1;
        }
    }
    for (int i = 0; i < 2; i++) {
        if (p->blocks[i].nvalid > 0 && (p->current < 0
                || lfs_scmp(p->blocks[i].rev, p->blocks[p->current].rev) > 0)) {
            p->current = i;
        }
    }
    if (p->current >= 0 && replay(p) < 0) {
        fsck_pair_free(p);
        return -1;
    }
    return 0;
}
