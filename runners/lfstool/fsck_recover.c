/*
 * fsck_recover.c - finds every directory and file that can still be read
 * from the raw blocks, for salvage and for fsck --repair's rebuild.
 *
 * Pairs come from the metadata thread (from {0,1} through every tail);
 * if the thread is broken, every block is scanned for metadata blocks: a
 * valid block no directory struct or hard tail points at starts a stray
 * directory, paired with the block any pointer pairs it with. A directory's path comes from the
 * directory entry that points at its pair; directories no entry reaches
 * (other than the root) go under lost+found/pair-0xA-0xB. Files are read
 * inline or along their skip-list's pointer chain; a chain that breaks
 * leaves a zero-filled hole at the start of the file (the part below the
 * break), reported as lost. Names are checked before use: no '/', no NUL,
 * not "." or "..". Bounded: each pair is walked once.
 */
#include "fsck.h"

#include <stdlib.h>
#include <string.h>

#include "lfs_tag.h"
#include "lfs_util.h"

#define PATH_CAP 4200
#define NULL_BLOCK 0xffffffffu

struct rpair {
    struct fsck_pair p;
    bool thread, continuation, has_parent, walked;
};

struct recoverer {
    const struct fsck_dev *dev;
    const struct recover_sink *sink;
    struct rpair *pairs;
    int n, cap;
    int *pair_of_block;
    int root;
    bool move;
    uint32_t move_pair[2], move_id;
};

static int find_or_load(struct recoverer *r, uint32_t a, uint32_t b)
{
    if (a >= r->dev->block_count || b >= r->dev->block_count) {
        return -1;
    }
    int ia = r->pair_of_block[a], ib = r->pair_of_block[b];
    if (ia >= 0 && (ia == ib || a == b)) {
        return ia;
    }
    if (ia >= 0 || ib >= 0) {
        return -1;      /* overlaps a different pair: not this one */
    }
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 32;
        struct rpair *p = realloc(r->pairs, sizeof(*p) * (size_t)cap);
        if (!p) {
            return -2;
        }
        r->pairs = p;
        r->cap = cap;
    }
    struct rpair *rp = &r->pairs[r->n];
    memset(rp, 0, sizeof(*rp));
    if (fsck_pair_load(r->dev, a, b, &rp->p) < 0) {
        return -2;
    }
    if (rp->p.current < 0) {
        fsck_pair_free(&rp->p);
        return -1;
    }
    r->pair_of_block[a] = r->pair_of_block[b] = r->n;
    return r->n++;
}

/* The thread from {0,1}; returns true if it ends cleanly. */
static int walk_thread(struct recoverer *r, bool *clean)
{
    uint32_t cur[2] = {0, 1};
    uint8_t g[12] = {0};
    *clean = false;
    for (;;) {
        int i = find_or_load(r, cur[0], cur[1]);
        if (i == -2) {
            return -1;
        }
        if (i < 0 || r->pairs[i].thread) {
            return 0;
        }
        struct rpair *rp = &r->pairs[i];
        rp->thread = true;
        if (rp->p.count > 0 && rp->p.entries[0].name_type == LFS_TYPE_SUPERBLOCK) {
            r->root = i;
        }
        if (rp->p.has_gdelta) {
            for (int k = 0; k < 12; k++) {
                g[k] ^= rp->p.gdelta[k];
            }
        }
        if (!rp->p.has_tail || rp->p.tail[0] == NULL_BLOCK || rp->p.tail[1] == NULL_BLOCK) {
            break;
        }
        cur[0] = rp->p.tail[0];
        cur[1] = rp->p.tail[1];
    }
    *clean = r->root >= 0;
    lfs_tag_t tag = lfs_get_le32(g);
    if (*clean && lfs_tag_type1(tag) != 0) {
        r->move = true;
        r->move_id = lfs_tag_id(tag);
        r->move_pair[0] = lfs_get_le32(g + 4);
        r->move_pair[1] = lfs_get_le32(g + 8);
    }
    return 0;
}

/* Scan mode: for every valid block, whether a directory struct or a hard
 * tail points at it (then a walk reaches it, if its parent is readable),
 * and the partner any pointer (soft tails too) pairs it with. */
static int scan_blocks(struct recoverer *r, uint8_t *dirref, uint32_t *partner,
        uint8_t *valid)
{
    uint32_t count = r->dev->block_count;
    for (uint32_t blk = 0; blk < count; blk++) {
        struct fsck_pair p;
        if (fsck_pair_load(r->dev, blk, blk, &p) < 0) {
            return -1;
        }
        const struct fsck_block *b = fsck_pair_block(&p);
        valid[blk] = b != NULL;
        for (uint32_t id = 0; b && id <= p.count; id++) {
            uint32_t x, y;
            bool parent;
            if (id < p.count) {
                const struct fsck_entry *e = &p.entries[id];
                if (e->name_type != LFS_TYPE_DIR || e->struct_len != 8) {
                    continue;
                }
                x = lfs_get_le32(b->data + e->struct_off);
                y = lfs_get_le32(b->data + e->struct_off + 4);
                parent = true;
            } else if (p.has_tail) {
                x = p.tail[0];
                y = p.tail[1];
                parent = p.hard_tail;
            } else {
                continue;
            }
            if (x < count && y < count && x != y) {
                partner[x] = y;
                partner[y] = x;
                if (parent) {
                    dirref[x] = dirref[y] = 1;
                }
            }
        }
        fsck_pair_free(&p);
    }
    return 0;
}

static int walk_from(struct recoverer *r, int start, const char *path);

/* Scan mode: walks, under lost+found, every valid block no directory
 * struct reaches, with its partner. */
static int walk_strays(struct recoverer *r, bool *made_lf)
{
    uint32_t count = r->dev->block_count;
    uint8_t *dirref = calloc(count, 1), *valid = calloc(count, 1);
    uint32_t *partner = malloc(sizeof(uint32_t) * count);
    int res = -1;
    if (!dirref || !valid || !partner) {
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        partner[i] = i;
    }
    if (scan_blocks(r, dirref, partner, valid) < 0) {
        goto out;
    }
    res = 0;
    for (uint32_t blk = 0; blk < count && res == 0; blk++) {
        if (!valid[blk] || dirref[blk] || r->pair_of_block[blk] >= 0) {
            continue;
        }
        int i = find_or_load(r, blk, partner[blk]);
        if (i == -2) {
            res = -1;
        } else if (i >= 0 && !r->pairs[i].walked) {
            bool any = false;
            for (uint32_t id = 0; id < r->pairs[i].p.count; id++) {
                uint32_t t = r->pairs[i].p.entries[id].name_type;
                any |= t == LFS_TYPE_REG || t == LFS_TYPE_DIR;
            }
            if (!any) {
                continue;
            }
            if (!*made_lf) {
                res = r->sink->dir(r->sink->ctx, "lost+found", NULL, 0);
                *made_lf = true;
            }
            char path[64];
            snprintf(path, sizeof(path), "lost+found/pair-0x%x-0x%x",
                    (unsigned)r->pairs[i].p.pair[0], (unsigned)r->pairs[i].p.pair[1]);
            if (res == 0) {
                res = walk_from(r, i, path);
            }
        }
    }
out:
    free(dirref);
    free(valid);
    free(partner);
    return res;
}

static bool name_ok(const uint8_t *name, uint32_t len)
{
    if (len == 0 || (len == 1 && name[0] == '.')
            || (len == 2 && name[0] == '.' && name[1] == '.')) {
        return false;
    }
    return memchr(name, '/', len) == NULL && memchr(name, '\0', len) == NULL;
}

static void join(char *out, const char *dir, const uint8_t *name, uint32_t len)
{
    size_t n = strlen(dir);
    memcpy(out, dir, n);
    if (n) {
        out[n++] = '/';
    }
    memcpy(out + n, name, len);
    out[n + len] = '\0';
}

static int gather_attrs(const struct fsck_block *b, const struct fsck_entry *e,
        struct recover_attr **out)
{
    *out = NULL;
    if (e->nattrs == 0) {
        return 0;
    }
    *out = malloc(sizeof(**out) * (size_t)e->nattrs);
    if (!*out) {
        return -1;
    }
    for (int i = 0; i < e->nattrs; i++) {
        (*out)[i] = (struct recover_attr){e->attrs[i].type,
                b->data + e->attrs[i].off, e->attrs[i].len};
    }
    return e->nattrs;
}

/* Reads a skip-list file; a broken chain leaves a hole, reported. */
static int read_ctz(struct recoverer *r, const char *path, uint32_t head,
        uint32_t size, uint8_t **data)
{
    const struct fsck_dev *dev = r->dev;
    uint32_t n = fsck_ctz_blocks(dev->block_size, size);
    *data = NULL;
    if (n > dev->block_count || head >= dev->block_count) {
        r->sink->lost(r->sink->ctx, path, head, "skip-list head or size impossible");
        return 1;
    }
    uint32_t *chain = malloc(sizeof(*chain) * n);
    uint8_t *seen = calloc(dev->block_count, 1);
    *data = calloc(size ? size : 1, 1);
    if (!chain || !seen || !*data) {
        free(chain);
        free(seen);
        free(*data);
        *data = NULL;
        return -1;
    }
    uint32_t cur = head, lowest = n;     /* chain[lowest..n) is known */
    for (uint32_t i = n; i-- > 0;) {
        if (seen[cur]) {
            break;
        }
        seen[cur] = 1;
        chain[i] = cur;
        lowest = i;
        if (i == 0) {
            break;
        }
        uint8_t raw[4];
        fsck_dev_read(dev, cur, 0, raw, 4);
        cur = lfs_get_le32(raw);
        if (cur >= dev->block_count) {
            break;
        }
    }
    uint64_t pos = 0;
    uint64_t lost_to = 0;
    for (uint32_t i = 0; i < n && pos < size; i++) {
        uint32_t skip = i == 0 ? 0 : 4 * (lfs_ctz(i) + 1);
        uint32_t len = dev->block_size - skip;
        if (len > size - pos) {
            len = (uint32_t)(size - pos);
        }
        if (i >= lowest) {
            fsck_dev_read(dev, chain[i], skip, *data + pos, len);
        } else {
            lost_to = pos + len;
        }
        pos += len;
    }
    free(chain);
    free(seen);
    if (lost_to) {
        char why[120];
        snprintf(why, sizeof(why), "partial: skip-list broken, bytes 0..%llu of %u "
                "lost (zero-filled)", (unsigned long long)lost_to, (unsigned)size);
        r->sink->lost(r->sink->ctx, path, head, why);
        return 1;
    }
    return 0;
}

static bool moved_away(const struct recoverer *r, const struct fsck_pair *p, uint32_t id)
{
    return r->move && id == r->move_id
            && ((p->pair[0] == r->move_pair[0] && p->pair[1] == r->move_pair[1])
                || (p->pair[0] == r->move_pair[1] && p->pair[1] == r->move_pair[0]));
}

struct todo {
    int pair;
    char *path;
};

static int push(struct todo **t, int *n, int *cap, int pair, const char *path)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        struct todo *nt = realloc(*t, sizeof(**t) * (size_t)c);
        if (!nt) {
            return -1;
        }
        *t = nt;
        *cap = c;
    }
    char *copy = malloc(strlen(path) + 1);
    if (!copy) {
        return -1;
    }
    strcpy(copy, path);
    (*t)[(*n)++] = (struct todo){pair, copy};
    return 0;
}

/* Walks one directory (pair and hard-tail continuations); queues subdirs. */
static int walk_dir(struct recoverer *r, int start, const char *dpath,
        struct todo **t, int *tn, int *tcap)
{
    const struct recover_sink *s = r->sink;
    char path[PATH_CAP + 260];
    for (int i = start; i >= 0;) {
        struct rpair *rp = &r->pairs[i];
        if (rp->walked) {
            return 0;
        }
        rp->walked = true;
        const struct fsck_block *b = fsck_pair_block(&rp->p);
        for (uint32_t id = 0; id < rp->p.count; id++) {
            const struct fsck_entry *e = &rp->p.entries[id];
            if ((e->name_type != LFS_TYPE_REG && e->name_type != LFS_TYPE_DIR)
                    || moved_away(r, &rp->p, id)) {
                continue;
            }
            const uint8_t *name = b->data + e->name_off;
            if (!name_ok(name, e->name_len) || strlen(dpath) + e->name_len > PATH_CAP) {
                snprintf(path, sizeof(path), "%s/<pair 0x%x,0x%x id %u>", dpath,
                        (unsigned)rp->p.pair[0], (unsigned)rp->p.pair[1], (unsigned)id);
                s->lost(s->ctx, path, b->block, "name refused ('/', NUL, \".\", \"..\" "
                        "or too long)");
                continue;
            }
            join(path, dpath, name, e->name_len);
            if (e->name_type == LFS_TYPE_DIR) {
                if (e->struct_type != LFS_TYPE_DIRSTRUCT || e->struct_len != 8) {
                    s->lost(s->ctx, path, b->block, "directory without a struct");
                    continue;
                }
                int c = find_or_load(r, lfs_get_le32(b->data + e->struct_off),
                        lfs_get_le32(b->data + e->struct_off + 4));
                if (c == -2) {
                    return -1;
                }
                if (c < 0 || r->pairs[c].walked) {
                    s->lost(s->ctx, path, b->block, c < 0
                            ? "directory pair unreadable: its contents are lost"
                            : "directory pair already walked (cycle)");
                    continue;
                }
                r->pairs[c].has_parent = true;
                struct recover_attr *dattrs;
                int ndattrs = gather_attrs(b, e, &dattrs);
                if (ndattrs < 0) {
                    return -1;
                }
                int res = s->dir(s->ctx, path, dattrs, ndattrs);
                free(dattrs);
                if (res) {
                    return res;
                }
                if (push(t, tn, tcap, c, path) < 0) {
                    return -1;
                }
                continue;
            }
            struct recover_attr *attrs;
            int nattrs = gather_attrs(b, e, &attrs);
            if (nattrs < 0) {
                return -1;
            }
            int res = 0;
            if (e->struct_type == LFS_TYPE_INLINESTRUCT) {
                res = s->file(s->ctx, path, b->data + e->struct_off, e->struct_len,
                        attrs, nattrs);
            } else if (e->struct_type == LFS_TYPE_CTZSTRUCT && e->struct_len == 8) {
                uint8_t *data;
                uint32_t size = lfs_get_le32(b->data + e->struct_off + 4);
                int got = read_ctz(r, path, lfs_get_le32(b->data + e->struct_off),
                        size, &data);
                if (got < 0) {
                    free(attrs);
                    return -1;
                }
                if (data) {
                    res = s->file(s->ctx, path, data, size, attrs, nattrs);
                    free(data);
                }
            } else {
                s->lost(s->ctx, path, b->block, "file without a data struct");
            }
            free(attrs);
            if (res) {
                return res;
            }
        }
        if (!rp->p.has_tail || !rp->p.hard_tail || rp->p.tail[0] == NULL_BLOCK) {
            return 0;
        }
        i = find_or_load(r, rp->p.tail[0], rp->p.tail[1]);
        if (i == -2) {
            return -1;
        }
        if (i >= 0) {
            r->pairs[i].continuation = true;
        } else {
            s->lost(s->ctx, dpath, b->block, "directory continues in an unreadable pair");
        }
    }
    return 0;
}

/* The directory a walk starts from; its attributes, for the root, are on
 * its superblock entry (id 0). Subdirectories are emitted by walk_dir with
 * the attributes of the entry that names them. */
static int emit_dir(struct recoverer *r, int pair, const char *path, bool root)
{
    const struct recover_sink *s = r->sink;
    struct recover_attr *attrs = NULL;
    int nattrs = 0;
    if (root && r->pairs[pair].p.count > 0) {
        nattrs = gather_attrs(fsck_pair_block(&r->pairs[pair].p),
                &r->pairs[pair].p.entries[0], &attrs);
        if (nattrs < 0) {
            return -1;
        }
    }
    int res = s->dir(s->ctx, path, attrs, nattrs);
    free(attrs);
    return res;
}

static int walk_from(struct recoverer *r, int start, const char *path)
{
    struct todo *t = NULL;
    int tn = 0, tcap = 0, res = 0;
    if (push(&t, &tn, &tcap, start, path) < 0) {
        return -1;
    }
    res = emit_dir(r, start, path, start == r->root);
    while (tn > 0) {
        struct todo cur = t[--tn];
        if (res == 0) {
            res = walk_dir(r, cur.pair, cur.path, &t, &tn, &tcap);
        }
        free(cur.path);
    }
    free(t);
    return res;
}

int fsck_recover(const struct fsck_dev *dev, const struct recover_sink *sink)
{
    struct recoverer r;
    memset(&r, 0, sizeof(r));
    r.dev = dev;
    r.sink = sink;
    r.root = -1;
    r.pair_of_block = malloc(sizeof(int) * dev->block_count);
    int res = -1;
    bool clean;
    if (!r.pair_of_block) {
        goto out;
    }
    for (uint32_t i = 0; i < dev->block_count; i++) {
        r.pair_of_block[i] = -1;
    }
    if (walk_thread(&r, &clean) < 0) {
        goto out;
    }
    res = 0;
    if (r.root >= 0) {
        r.pairs[r.root].has_parent = true;
        res = walk_from(&r, r.root, "");
    }
    /* mark what directory entries reach, so only true strays are lost+found */
    for (int i = 0; i < r.n && res == 0; i++) {
        const struct fsck_block *b = fsck_pair_block(&r.pairs[i].p);
        for (uint32_t id = 0; id < r.pairs[i].p.count; id++) {
            const struct fsck_entry *e = &r.pairs[i].p.entries[id];
            if (e->name_type == LFS_TYPE_DIR && e->struct_len == 8) {
                uint32_t a = lfs_get_le32(b->data + e->struct_off);
                int c = a < dev->block_count ? r.pair_of_block[a] : -1;
                if (c >= 0) {
                    r.pairs[c].has_parent = true;
                }
            }
        }
        if (r.pairs[i].p.has_tail && r.pairs[i].p.hard_tail
                && r.pairs[i].p.tail[0] < dev->block_count) {
            int c = r.pair_of_block[r.pairs[i].p.tail[0]];
            if (c >= 0 && c != i) {
                r.pairs[c].continuation = true;
            }
        }
    }
    bool made_lf = false;
    if (!clean) {
        if (res == 0) {
            res = walk_strays(&r, &made_lf);
        }
        goto out;
    }
    for (int i = 0; i < r.n && res == 0; i++) {
        struct rpair *rp = &r.pairs[i];
        if (rp->walked || rp->has_parent || rp->continuation) {
            continue;
        }
        /* a pair holding only a superblock entry has nothing to give */
        bool any = false;
        for (uint32_t id = 0; id < rp->p.count; id++) {
            uint32_t t = rp->p.entries[id].name_type;
            any |= t == LFS_TYPE_REG || t == LFS_TYPE_DIR;
        }
        if (!any && !(rp->p.has_tail && rp->p.hard_tail)) {
            continue;
        }
        if (!made_lf) {
            res = sink->dir(sink->ctx, "lost+found", NULL, 0);
            made_lf = true;
        }
        char path[64];
        snprintf(path, sizeof(path), "lost+found/pair-0x%x-0x%x",
                (unsigned)rp->p.pair[0], (unsigned)rp->p.pair[1]);
        if (res == 0) {
            res = walk_from(&r, i, path);
        }
    }
out:
    for (int i = 0; i < r.n; i++) {
        fsck_pair_free(&r.pairs[i].p);
    }
    free(r.pairs);
    free(r.pair_of_block);
    return res;
}
