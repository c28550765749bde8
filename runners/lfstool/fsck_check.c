/*
 * fsck_check.c - the structural check behind `lfstool fsck`, done on the
 * raw blocks so that it goes as far as a damaged image allows:
 *
 *  1. the metadata thread from the superblock pair {0,1}, through hard and
 *     soft tails: each pair's current block and commits, superblock
 *     entries (and their copies), loops and tails that point nowhere;
 *  2. the global state: the xor of every thread pair's latest delta
 *     (a pending move, an orphan count);
 *  3. the directory tree from the root, through directory structs: pairs
 *     that are missing, invalid, off the thread or visited twice; each
 *     file's skip-list (pointers inside the device, no loops, skip
 *     pointers that agree with the chain its size implies);
 *  4. orphans: thread pairs that start a directory no entry references;
 *  5. every block claimed once: a bitmap of owners by block;
 *  6. lfs_fs_size, through the public API, against the thread's count.
 *
 * Memory is O(block_count) plus the decoded pairs, which is fine for a
 * host tool. Nothing here recurses.
 */
#include "fsck.h"

#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "lfs_tag.h"
#include "lfs_util.h"

#define PATH_MAX_LEN 4096
#define NULL_BLOCK 0xffffffffu

struct cpair {
    struct fsck_pair p;
    bool on_thread, head, referenced, walked, superblock;
    uint32_t owner;
};

struct checker {
    const struct fsck_dev *dev;
    struct fsck_report *r;
    struct cpair *pairs;
    int npairs, cap;
    int *pair_of_block;         /* block -> index into pairs, -1 */
    uint32_t *owner;            /* block -> owner id (0: free) */
    char **owners;              /* owner id - 1 -> name */
    uint32_t nowners;
    uint32_t *stamp;            /* block -> serial of the last file walking it */
    uint32_t serial;
    int root;                   /* pair index of the root, -1: unknown */
    uint8_t gstate[12];
    bool move_pending;
    uint32_t move_pair[2], move_id;
    uint32_t thread_count;      /* blocks as lfs_fs_size should count them */
    bool thread_count_ok;
    bool sb_seen;
    uint8_t sb[24];
    bool oom;
};

/* ---- helpers -------------------------------------------------------------- */

static uint32_t new_owner(struct checker *c, const char *name)
{
    char **o = realloc(c->owners, sizeof(*o) * (c->nowners + 1));
    char *copy = malloc(strlen(name) + 1);
    if (!o || !copy) {
        free(copy);
        if (o) {
            c->owners = o;
        }
        c->oom = true;
        return 0;
    }
    c->owners = o;
    strcpy(copy, name);
    c->owners[c->nowners++] = copy;
    return c->nowners;
}

/* Marks a block as used by `owner`; a second owner is a finding. */
static void claim(struct checker *c, uint32_t block, uint32_t owner)
{
    if (block >= c->dev->block_count || owner == 0) {
        return;
    }
    uint32_t prev = c->owner[block];
    if (prev == 0) {
        c->owner[block] = owner;
        c->r->blocks_used++;
    } else if (prev != owner) {
        fsck_report_add(c->r, FSCK_ERROR, block, 0, "double-ref",
                "block referenced twice: by %s and by %s",
                c->owners[prev - 1], c->owners[owner - 1]);
    }
}

static bool pair_isnull(const uint32_t p[2])
{
    return p[0] == NULL_BLOCK || p[1] == NULL_BLOCK;
}

/* Escapes a name for one-line reports. */
static void append_name(char *path, size_t cap, const uint8_t *name, uint32_t len)
{
    size_t n = strlen(path);
    if (n > 1 || path[0] != '/') {
        if (n + 1 < cap) {
            path[n++] = '/';
        }
    }
    for (uint32_t i = 0; i < len && n + 5 < cap; i++) {
        uint8_t ch = name[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
            n += (size_t)snprintf(path + n, cap - n, "\\x%02x", ch);
        } else {
            path[n++] = (char)ch;
        }
    }
    path[n] = '\0';
}

/* The pair {a,b}, loaded once. Returns its index, -1 (out of range or out
 * of memory), or -2 if a loaded pair shares exactly one block with it
 * (*other = that pair). */
static int get_pair(struct checker *c, uint32_t a, uint32_t b, int *other)
{
    uint32_t count = c->dev->block_count;
    if (a >= count || b >= count) {
        return -1;
    }
    int ia = c->pair_of_block[a], ib = c->pair_of_block[b];
    if (ia >= 0 && ia == ib) {
        return ia;
    }
    if (ia >= 0 || ib >= 0) {
        *other = ia >= 0 ? ia : ib;
        return -2;
    }
    if (c->npairs == c->cap) {
        int cap = c->cap ? c->cap * 2 : 32;
        struct cpair *p = realloc(c->pairs, sizeof(*p) * (size_t)cap);
        if (!p) {
            c->oom = true;
            return -1;
        }
        c->pairs = p;
        c->cap = cap;
    }
    struct cpair *cp = &c->pairs[c->npairs];
    memset(cp, 0, sizeof(*cp));
    if (fsck_pair_load(c->dev, a, b, &cp->p) < 0) {
        c->oom = true;
        return -1;
    }
    char name[64];
    snprintf(name, sizeof(name), "metadata pair 0x%x,0x%x", (unsigned)a, (unsigned)b);
    cp->owner = new_owner(c, name);
    c->pair_of_block[a] = c->pair_of_block[b] = c->npairs;
    claim(c, a, cp->owner);
    claim(c, b, cp->owner);
    if (a == b) {
        fsck_report_add(c->r, FSCK_ERROR, a, 0, "pair-invalid",
                "metadata pair names block 0x%x twice", (unsigned)a);
    }
    return c->npairs++;
}

/* ---- 1. commits and the superblock ---------------------------------------- */

static void check_commits(struct checker *c, const struct fsck_pair *p)
{
    const struct fsck_block *b = fsck_pair_block(p);
    if (!b) {
        return;
    }
    uint32_t last = b->commits[b->nvalid - 1].end;
    if (b->first_bad >= 0) {
        const struct fsck_commit *bad = &b->commits[b->first_bad];
        if (b->valid_after_bad) {
            fsck_report_add(c->r, FSCK_ERROR, b->block, bad->off, "commit-crc",
                    "commit CRC mismatch (last valid commit ends at 0x%x); later "
                    "commits are valid but unreachable: data lost", (unsigned)last);
        } else {
            fsck_report_add(c->r, FSCK_INFO, b->block, bad->off, "commit-torn",
                    "torn final commit, CRC mismatch (last valid commit ends at 0x%x)",
                    (unsigned)last);
        }
    } else if (b->torn_off) {
        fsck_report_add(c->r, FSCK_INFO, b->block, b->torn_off, "commit-torn",
                "unfinished final commit, no CRC tag (last valid commit ends at 0x%x)",
                (unsigned)last);
    }
    const struct fsck_block *o = &p->blocks[!p->current];
    if (o->data && lfs_scmp(o->rev, b->rev) > 0 && o->ncommits > 0) {
        if (o->valid_after_bad) {
            fsck_report_add(c->r, FSCK_ERROR, o->block, 0, "commit-crc",
                    "newer revision %u fails its first commit's CRC but has valid "
                    "commits after it: data lost (using block 0x%x, revision %u)",
                    (unsigned)o->rev, (unsigned)b->block, (unsigned)b->rev);
        } else {
            fsck_report_add(c->r, FSCK_INFO, o->block, 0, "commit-torn",
                    "newer revision %u has no valid commit (interrupted compaction); "
                    "block 0x%x is current", (unsigned)o->rev, (unsigned)b->block);
        }
    }
}

static void check_superblock(struct checker *c, struct cpair *cp)
{
    const struct fsck_pair *p = &cp->p;
    const struct fsck_block *b = fsck_pair_block(p);
    const struct fsck_entry *e = &p->entries[0];
    if (e->name_len != 8 || memcmp(b->data + e->name_off, "littlefs", 8) != 0) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->tag_off, "superblock",
                "superblock entry without the magic \"littlefs\"");
        return;
    }
    if (e->struct_type != LFS_TYPE_INLINESTRUCT || e->struct_len < 24) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->tag_off, "superblock",
                "superblock entry has no 24-byte inline struct");
        return;
    }
    const uint8_t *s = b->data + e->struct_off;
    cp->superblock = true;
    if (c->sb_seen) {
        if (memcmp(s, c->sb, 24) != 0) {
            fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "superblock",
                    "superblock copy differs from the first one on the thread");
        }
        return;
    }
    c->sb_seen = true;
    memcpy(c->sb, s, 24);
    uint32_t version = lfs_get_le32(s), bs = lfs_get_le32(s + 4);
    uint32_t count = lfs_get_le32(s + 8);
    c->r->disk_version = version;
    if ((version >> 16) != 2 || (version & 0xffff) > 1) {
        fsck_report_add(c->r, FSCK_FATAL, b->block, e->struct_tag_off, "version",
                "disk version %u.%u is not one this tool reads (2.0 or 2.1)",
                (unsigned)(version >> 16), (unsigned)(version & 0xffff));
    }
    if (bs != c->dev->block_size || count != c->dev->block_count) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "geometry",
                "superblock says %u blocks of %u bytes, the image has %u of %u",
                (unsigned)count, (unsigned)bs, (unsigned)c->dev->block_count,
                (unsigned)c->dev->block_size);
    }
    uint32_t name_max = lfs_get_le32(s + 12), attr_max = lfs_get_le32(s + 20);
    if (name_max == 0 || name_max > 1022 || attr_max > 1022) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "superblock",
                "superblock limits out of range (name max %u, attr max %u)",
                (unsigned)name_max, (unsigned)attr_max);
    }
}

/* Follows the tails from {0,1}; returns false if {0,1} is unusable. */
static bool walk_thread(struct checker *c)
{
    uint32_t cur[2] = {0, 1};
    bool head = true;
    uint32_t from_block = FSCK_NO_BLOCK, from_off = 0;
    c->thread_count_ok = true;
    for (;;) {
        int other = -1;
        int i = get_pair(c, cur[0], cur[1], &other);
        if (i == -2 && c->pairs[other].on_thread) {
            fsck_report_add(c->r, FSCK_ERROR, from_block, from_off, "tail-loop",
                    "tail to 0x%x,0x%x loops back into the metadata thread",
                    (unsigned)cur[0], (unsigned)cur[1]);
            return true;
        }
        if (i < 0) {
            if (from_block == FSCK_NO_BLOCK) {
                return false;
            }
            fsck_report_add(c->r, FSCK_ERROR, from_block, from_off, "tail-range",
                    "tail 0x%x,0x%x is %s", (unsigned)cur[0], (unsigned)cur[1],
                    i == -1 ? "outside the device" : "a pair overlapping another");
            c->thread_count_ok = false;
            return true;
        }
        struct cpair *cp = &c->pairs[i];
        if (cp->on_thread) {
            fsck_report_add(c->r, FSCK_ERROR, from_block, from_off, "tail-loop",
                    "tail to 0x%x,0x%x loops back into the metadata thread",
                    (unsigned)cur[0], (unsigned)cur[1]);
            return true;
        }
        if (cp->p.current < 0) {
            if (from_block == FSCK_NO_BLOCK) {
                return false;
            }
            fsck_report_add(c->r, FSCK_ERROR, from_block, from_off, "tail-invalid",
                    "tail points at pair 0x%x,0x%x, which has no valid commit: the "
                    "rest of the thread is lost", (unsigned)cur[0], (unsigned)cur[1]);
            c->thread_count_ok = false;
            return true;
        }
        cp->on_thread = true;
        cp->head = head;
        c->r->pairs++;
        c->thread_count += 2;
        check_commits(c, &cp->p);
        if (cp->p.count > 0 && cp->p.entries[0].name_type == LFS_TYPE_SUPERBLOCK) {
            check_superblock(c, cp);
            c->root = i;
        }
        if (cp->p.has_gdelta) {
            for (int k = 0; k < 12; k++) {
                c->gstate[k] ^= cp->p.gdelta[k];
            }
        }
        if (!cp->p.has_tail || pair_isnull(cp->p.tail)) {
            return true;
        }
        head = !cp->p.hard_tail;
        from_block = fsck_pair_block(&cp->p)->block;
        from_off = cp->p.tail_off;
        cur[0] = cp->p.tail[0];
        cur[1] = cp->p.tail[1];
    }
}

/* ---- 2. global state ------------------------------------------------------- */

static void check_gstate(struct checker *c)
{
    lfs_tag_t tag = lfs_get_le32(c->gstate);
    uint32_t orphans = (lfs_tag_size(tag) & 0x1ff) + !lfs_tag_isvalid(tag);
    if (lfs_tag_type1(tag) != 0) {
        c->move_pending = true;
        c->move_id = lfs_tag_id(tag);
        c->move_pair[0] = lfs_get_le32(c->gstate + 4);
        c->move_pair[1] = lfs_get_le32(c->gstate + 8);
        bool inside = c->move_pair[0] < c->dev->block_count
                && c->move_pair[1] < c->dev->block_count;
        fsck_report_add(c->r, inside ? FSCK_REPAIR : FSCK_ERROR,
                inside ? c->move_pair[0] : FSCK_NO_BLOCK, 0, "pending-move",
                "gstate holds an unfinished move of id %u from pair 0x%x,0x%x%s",
                (unsigned)c->move_id, (unsigned)c->move_pair[0],
                (unsigned)c->move_pair[1], inside ? "" : " (outside the device)");
    }
    if (orphans) {
        fsck_report_add(c->r, FSCK_REPAIR, FSCK_NO_BLOCK, 0, "orphan-count",
                "gstate counts %u orphan(s) to clean up", (unsigned)orphans);
    }
}

/* ---- 3. the tree ------------------------------------------------------------ */

static void check_ctz(struct checker *c, const char *path, uint32_t at_block,
        uint32_t at_off, uint32_t head, uint32_t size, bool on_thread)
{
    uint32_t count = c->dev->block_count, bs = c->dev->block_size;
    uint32_t n = fsck_ctz_blocks(bs, size);
    if (n > count) {
        fsck_report_add(c->r, FSCK_ERROR, at_block, at_off, "ctz-size",
                "%s: size %u needs %u blocks, more than the device has", path,
                (unsigned)size, (unsigned)n);
        return;
    }
    if (head >= count) {
        fsck_report_add(c->r, FSCK_ERROR, at_block, at_off, "ctz-range",
                "%s: skip-list head 0x%x is outside the device", path, (unsigned)head);
        return;
    }
    uint32_t owner = new_owner(c, path);
    uint32_t *chain = malloc(sizeof(*chain) * (n ? n : 1));
    if (!chain) {
        c->oom = true;
        return;
    }
    c->serial++;
    uint32_t cur = head;
    bool whole = true;
    for (uint32_t i = n; i-- > 0;) {
        chain[i] = cur;
        if (c->stamp[cur] == c->serial) {
            fsck_report_add(c->r, FSCK_ERROR, cur, 0, "ctz-loop",
                    "%s: skip-list loops back to block 0x%x (index %u)", path,
                    (unsigned)cur, (unsigned)i);
            whole = false;
            break;
        }
        c->stamp[cur] = c->serial;
        claim(c, cur, owner);
        if (on_thread) {
            c->thread_count++;
        }
        if (i == 0) {
            break;
        }
        uint8_t raw[4];
        fsck_dev_read(c->dev, cur, 0, raw, 4);
        uint32_t next = lfs_get_le32(raw);
        if (next >= count) {
            fsck_report_add(c->r, FSCK_ERROR, cur, 0, "ctz-range",
                    "%s: skip-list pointer 0x%x at index %u is outside the device "
                    "(size %u needs %u blocks)", path, (unsigned)next, (unsigned)i,
                    (unsigned)size, (unsigned)n);
            whole = false;
            break;
        }
        cur = next;
    }
    /* every skip pointer must agree with the chain the size implies */
    for (uint32_t i = 1; whole && i < n; i++) {
        uint32_t ptrs = lfs_ctz(i) + 1;
        for (uint32_t k = 1; k < ptrs; k++) {
            uint8_t raw[4];
            fsck_dev_read(c->dev, chain[i], 4 * k, raw, 4);
            uint32_t want = chain[i - (1u << k)];
            if (lfs_get_le32(raw) != want) {
                fsck_report_add(c->r, FSCK_ERROR, chain[i], 4 * k, "ctz-skip",
                        "%s: skip pointer %u of index %u is 0x%x, the chain says 0x%x: "
                        "size %u does not match the skip-list", path, (unsigned)k,
                        (unsigned)i, (unsigned)lfs_get_le32(raw), (unsigned)want,
                        (unsigned)size);
                whole = false;
                break;
            }
        }
    }
    if (!whole) {
        c->thread_count_ok = false;
    }
    free(chain);
}

struct dir_todo {
    int pair;
    char *path;
};

struct todo_stack {
    struct dir_todo *items;
    int n, cap;
};

static int push_dir(struct checker *c, struct todo_stack *s, int pair, const char *path)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        struct dir_todo *t = realloc(s->items, sizeof(*t) * (size_t)cap);
        if (!t) {
            c->oom = true;
            return -1;
        }
        s->items = t;
        s->cap = cap;
    }
    char *copy = malloc(strlen(path) + 1);
    if (!copy) {
        c->oom = true;
        return -1;
    }
    strcpy(copy, path);
    s->items[s->n++] = (struct dir_todo){pair, copy};
    return 0;
}

/* A directory entry's target pair: checked, and queued if it is new. */
static void check_dir_entry(struct checker *c, struct todo_stack *s,
        const struct fsck_block *b, const struct fsck_entry *e, const char *path)
{
    if (e->struct_type != LFS_TYPE_DIRSTRUCT || e->struct_len != 8) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->tag_off, "dir-struct",
                "%s: directory entry without a directory struct", path);
        return;
    }
    uint32_t a = lfs_get_le32(b->data + e->struct_off);
    uint32_t z = lfs_get_le32(b->data + e->struct_off + 4);
    int other = -1;
    int i = get_pair(c, a, z, &other);
    if (i == -1) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "dir-missing",
                "%s: directory pair 0x%x,0x%x is outside the device", path,
                (unsigned)a, (unsigned)z);
        return;
    }
    if (i == -2) {
        struct cpair *o = &c->pairs[other];
        fsck_report_add(c->r, o->on_thread ? FSCK_REPAIR : FSCK_ERROR, b->block,
                e->struct_tag_off, "half-orphan",
                "%s: directory pair 0x%x,0x%x shares a block with pair 0x%x,0x%x%s",
                path, (unsigned)a, (unsigned)z, (unsigned)o->p.pair[0],
                (unsigned)o->p.pair[1], o->on_thread
                ? " on the thread (a relocation the mount-time repair finishes)" : "");
        if (o->on_thread && !o->walked) {
            o->referenced = true;
            push_dir(c, s, other, path);
        }
        return;
    }
    struct cpair *cp = &c->pairs[i];
    if (cp->p.current < 0) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "dir-invalid",
                "%s: directory pair 0x%x,0x%x has no valid commit: its contents are "
                "lost", path, (unsigned)a, (unsigned)z);
        return;
    }
    if (cp->referenced) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "dir-cycle",
                "%s: directory pair 0x%x,0x%x is already referenced by another entry",
                path, (unsigned)a, (unsigned)z);
        return;
    }
    cp->referenced = true;
    if (!cp->on_thread) {
        fsck_report_add(c->r, FSCK_ERROR, b->block, e->struct_tag_off, "dir-off-thread",
                "%s: directory pair 0x%x,0x%x is not on the metadata thread (its "
                "blocks look free to the allocator)", path, (unsigned)a, (unsigned)z);
    }
    push_dir(c, s, i, path);
}

static bool is_moved_away(const struct checker *c, const struct fsck_pair *p, uint32_t id)
{
    return c->move_pending && id == c->move_id
            && (p->pair[0] == c->move_pair[0] || p->pair[0] == c->move_pair[1]
                || p->pair[1] == c->move_pair[0] || p->pair[1] == c->move_pair[1]);
}

/* Checks one directory: its pair and the hard-tail continuations. */
static void walk_dir(struct checker *c, struct todo_stack *s, int start, const char *dpath)
{
    char path[PATH_MAX_LEN + 8];
    for (int i = start; i >= 0;) {
        struct cpair *cp = &c->pairs[i];
        if (cp->walked) {
            fsck_report_add(c->r, FSCK_ERROR, fsck_pair_block(&cp->p)->block, 0,
                    "dir-cycle", "%s: pair 0x%x,0x%x is walked twice (directory "
                    "cycle)", dpath, (unsigned)cp->p.pair[0], (unsigned)cp->p.pair[1]);
            return;
        }
        cp->walked = true;
        const struct fsck_block *b = fsck_pair_block(&cp->p);
        for (uint32_t id = 0; id < cp->p.count; id++) {
            const struct fsck_entry *e = &cp->p.entries[id];
            if (e->name_type == 0 || e->name_type == LFS_TYPE_SUPERBLOCK
                    || is_moved_away(c, &cp->p, id)) {
                continue;
            }
            snprintf(path, sizeof(path), "%s", dpath);
            append_name(path, PATH_MAX_LEN, b->data + e->name_off, e->name_len);
            if (e->name_type == LFS_TYPE_DIR) {
                c->r->dirs++;
                check_dir_entry(c, s, b, e, path);
            } else if (e->name_type == LFS_TYPE_REG) {
                c->r->files++;
                if (e->struct_type == LFS_TYPE_CTZSTRUCT && e->struct_len == 8) {
                    check_ctz(c, path, b->block, e->struct_tag_off,
                            lfs_get_le32(b->data + e->struct_off),
                            lfs_get_le32(b->data + e->struct_off + 4), cp->on_thread);
                } else if (e->struct_type != LFS_TYPE_INLINESTRUCT) {
                    fsck_report_add(c->r, FSCK_ERROR, b->block, e->tag_off,
                            "file-struct", "%s: file without a data struct", path);
                }
            } else {
                fsck_report_add(c->r, FSCK_ERROR, b->block, e->tag_off, "entry-type",
                        "%s: unknown entry type 0x%03x", path, (unsigned)e->name_type);
            }
        }
        if (!cp->p.has_tail || !cp->p.hard_tail || pair_isnull(cp->p.tail)) {
            return;
        }
        int other = -1;
        int next = get_pair(c, cp->p.tail[0], cp->p.tail[1], &other);
        if (next < 0 || c->pairs[next].p.current < 0) {
            if (!cp->on_thread) {   /* the thread walk reported those */
                fsck_report_add(c->r, FSCK_ERROR, b->block, cp->p.tail_off,
                        "tail-invalid", "%s: the directory continues in pair "
                        "0x%x,0x%x, which is unreadable", dpath,
                        (unsigned)cp->p.tail[0], (unsigned)cp->p.tail[1]);
            }
            return;
        }
        i = next;
    }
}

static void walk_tree(struct checker *c, int start, const char *path)
{
    struct todo_stack s = {0};
    if (push_dir(c, &s, start, path) < 0) {
        return;
    }
    while (s.n > 0) {
        struct dir_todo t = s.items[--s.n];
        walk_dir(c, &s, t.pair, t.path);
        free(t.path);
    }
    free(s.items);
}

/* ---- 6. the core's view ---------------------------------------------------- */

static void check_with_core(struct checker *c)
{
    struct image img;
    memset(&img, 0, sizeof(img));
    img.path = c->dev->path;
    img.bd = c->dev->bd;
    image_configure(&img);
    int err = lfs_mount(&img.lfs, &img.cfg);
    if (err) {
        fsck_report_add(c->r, FSCK_ERROR, FSCK_NO_BLOCK, 0, "mount",
                "the core cannot mount the image: %s (%d)", image_strerror(err), err);
        return;
    }
    lfs_ssize_t size = lfs_fs_size(&img.lfs);
    c->r->fs_size = size;
    if (size < 0) {
        fsck_report_add(c->r, FSCK_ERROR, FSCK_NO_BLOCK, 0, "fs-size",
                "lfs_fs_size fails: %s (%d)", image_strerror((int)size), (int)size);
    } else if (!c->move_pending && c->thread_count_ok
            && (uint32_t)size != c->thread_count) {
        fsck_report_add(c->r, FSCK_ERROR, FSCK_NO_BLOCK, 0, "fs-size",
                "lfs_fs_size says %ld blocks, the thread's pairs and files take %u",
                (long)size, (unsigned)c->thread_count);
    }
    lfs_unmount(&img.lfs);
}

/* ---- the whole check ------------------------------------------------------- */

static void count_metadata_blocks(struct checker *c)
{
    uint32_t found = 0;
    for (uint32_t blk = 2; blk < c->dev->block_count; blk++) {
        struct fsck_block b;
        if (fsck_block_decode(c->dev, blk, &b) == 0) {
            found += b.nvalid > 0;
            fsck_block_free(&b);
        }
    }
    if (found) {
        fsck_report_add(c->r, FSCK_ERROR, 0, 0, "superblock",
                "superblock pair 0x0,0x1 has no valid commit, but %u other blocks "
                "hold metadata (lfstool salvage can extract their files)",
                (unsigned)found);
    } else {
        fsck_report_add(c->r, FSCK_FATAL, 0, 0, "superblock",
                "superblock pair 0x0,0x1 has no valid commit and no other block "
                "holds metadata: not a littlefs image");
    }
}

void fsck_check(const struct fsck_dev *dev, struct fsck_report *r)
{
    struct checker c;
    memset(&c, 0, sizeof(c));
    c.dev = dev;
    c.r = r;
    c.root = -1;
    r->fs_size = -1;
    uint32_t n = dev->block_count;
    c.pair_of_block = malloc(sizeof(int) * n);
    c.owner = calloc(n, sizeof(uint32_t));
    c.stamp = calloc(n, sizeof(uint32_t));
    if (!c.pair_of_block || !c.owner || !c.stamp) {
        fsck_report_add(r, FSCK_FATAL, FSCK_NO_BLOCK, 0, "memory",
                "out of memory for %u blocks", (unsigned)n);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        c.pair_of_block[i] = -1;
    }

    if (!walk_thread(&c)) {
        count_metadata_blocks(&c);
        goto out;
    }
    if (c.root < 0) {
        fsck_report_add(r, FSCK_FATAL, c.npairs ? fsck_pair_block(&c.pairs[0].p)->block
                : 0, 0, "superblock", "no superblock entry on the metadata thread");
        goto out;
    }
    check_gstate(&c);
    c.pairs[c.root].referenced = true;
    walk_tree(&c, c.root, "/");
    for (int i = 0; i < c.npairs; i++) {
        struct cpair *cp = &c.pairs[i];
        if (cp->on_thread && cp->head && !cp->referenced && !cp->superblock
                && !cp->walked) {
            char name[64];
            snprintf(name, sizeof(name), "<orphan 0x%x,0x%x>",
                    (unsigned)cp->p.pair[0], (unsigned)cp->p.pair[1]);
            fsck_report_add(r, FSCK_REPAIR, fsck_pair_block(&cp->p)->block, 0,
                    "orphan", "orphan: directory pair 0x%x,0x%x is on the thread but "
                    "no entry references it", (unsigned)cp->p.pair[0],
                    (unsigned)cp->p.pair[1]);
            walk_tree(&c, i, name);
        }
    }
    if (fsck_report_status(r) < FSCK_FATAL) {
        check_with_core(&c);
    }
out:
    if (c.oom) {
        fsck_report_add(r, FSCK_FATAL, FSCK_NO_BLOCK, 0, "memory",
                "out of memory: the check is incomplete");
    }
    for (int i = 0; i < c.npairs; i++) {
        fsck_pair_free(&c.pairs[i].p);
    }
    for (uint32_t i = 0; i < c.nowners; i++) {
        free(c.owners[i]);
    }
    free(c.owners);
    free(c.pairs);
    free(c.pair_of_block);
    free(c.owner);
    free(c.stamp);
}

int fsck_run(const char *path, const struct geometry_opts *geo, struct fsck_report *r)
{
    memset(r, 0, sizeof(*r));
    r->fs_size = -1;
    struct fsck_dev dev;
    char why[300];
    if (fsck_dev_open(&dev, path, geo, why, sizeof(why)) < 0) {
        fsck_report_add(r, FSCK_FATAL, FSCK_NO_BLOCK, 0, "image", "%s", why);
        return fsck_report_status(r);
    }
    fsck_check(&dev, r);
    fsck_dev_close(&dev);
    return fsck_report_status(r);
}
