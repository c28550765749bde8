/*
 * tree.c - captures the durable state of a device through the public API
 * of a second, independent filesystem instance, and compares two states.
 *
 * Assumes cfg points at a device nobody else is using (a clone): the
 * mount, walk and unmount here only read, but own their buffers (the
 * config's buffers are left NULL so the core allocates its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appendf.h"
#include "tree.h"

#define HASH_INIT UINT64_C(0xcbf29ce484222325)

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t hash_u64(uint64_t h, uint64_t v) {
    return hash_bytes(h, &v, sizeof(v));
}

static struct torture_tree_entry *add_entry(struct torture_tree *t, const char *parent,
        const char *name, uint8_t type, uint32_t size) {
    if (t->count == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct torture_tree_entry *e = realloc(t->entries, cap * sizeof(*e));
        if (!e) {
            return NULL;
        }
        t->entries = e;
        t->cap = cap;
    }
    size_t plen = strlen(parent), nlen = strlen(name);
    char *path = malloc(plen + nlen + 2);
    if (!path) {
        return NULL;
    }
    if (!name[0]) {
        memcpy(path, parent, plen + 1);
    } else if (strcmp(parent, "/") == 0) {
        path[0] = '/';
        memcpy(path + 1, name, nlen + 1);
    } else {
        memcpy(path, parent, plen);
        path[plen] = '/';
        memcpy(path + plen + 1, name, nlen + 1);
    }
    struct torture_tree_entry *e = &t->entries[t->count++];
    memset(e, 0, sizeof(*e));
    e->path = path;
    e->type = type;
    e->size = size;
    return e;
}

static void walk_error(struct torture_tree *t, int err, const char *where, const char *path) {
    if (!t->walk_err) {
        t->walk_err = err;
        snprintf(t->walk_where, sizeof(t->walk_where), "%s %s", where, path);
    }
}

static int read_attrs(struct torture_tree *t, lfs_t *lfs, struct torture_tree_entry *e,
        const uint8_t *types) {
    static uint8_t buf[LFS_ATTR_MAX];
    for (unsigned type = 0; type < 256; type++) {
        if (!(types[type / 8] & (1u << (type % 8)))) {
            continue;
        }
        lfs_ssize_t n = lfs_getattr(lfs, e->path, (uint8_t)type, buf, sizeof(buf));
        if (n == LFS_ERR_NOATTR) {
            continue;
        }
        if (n < 0) {
            walk_error(t, (int)n, "getattr", e->path);
            continue;
        }
        struct torture_tree_attr *a = realloc(e->attrs, (e->nattrs + 1) * sizeof(*a));
        if (!a) {
            return -1;
        }
        e->attrs = a;
        size_t got = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
        a[e->nattrs++] = (struct torture_tree_attr){(uint8_t)type, (uint32_t)n,
                hash_bytes(HASH_INIT, buf, got)};
    }
    return 0;
}

static void read_file(struct torture_tree *t, lfs_t *lfs, struct torture_tree_entry *e) {
    lfs_file_t file;
    int err = lfs_file_open(lfs, &file, e->path, LFS_O_RDONLY);
    if (err) {
        walk_error(t, err, "open", e->path);
        return;
    }
    uint8_t buf[512];
    uint64_t h = HASH_INIT, total = 0;
    for (;;) {
        lfs_ssize_t n = lfs_file_read(lfs, &file, buf, sizeof(buf));
        if (n < 0) {
            walk_error(t, (int)n, "read", e->path);
            break;
        }
        if (n == 0) {
            break;
        }
        h = hash_bytes(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (total != e->size && !t->walk_err) {
        walk_error(t, LFS_ERR_CORRUPT, "short read of", e->path);
    }
    e->hash = h;
    lfs_file_close(lfs, &file);
}

static int list_dir(struct torture_tree *t, lfs_t *lfs, size_t di) {
    lfs_dir_t dir;
    char *path = t->entries[di].path;   /* stable: entries may move, strings do not */
    int err = lfs_dir_open(lfs, &dir, path);
    if (err) {
        walk_error(t, err, "opendir", path);
        return 0;
    }
    bool low = dir.head[0] < dir.head[1];
    t->entries[di].head[0] = dir.head[low ? 0 : 1];
    t->entries[di].head[1] = dir.head[low ? 1 : 0];
    struct lfs_info info;
    for (;;) {
        int r = lfs_dir_read(lfs, &dir, &info);
        if (r < 0) {
            walk_error(t, r, "readdir", path);
            break;
        }
        if (r == 0) {
            break;
        }
        if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0) {
            continue;
        }
        if (!add_entry(t, path, info.name, info.type,
                info.type == LFS_TYPE_REG ? info.size : 0)) {
            lfs_dir_close(lfs, &dir);
            return -1;
        }
    }
    lfs_dir_close(lfs, &dir);
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const struct torture_tree_entry *)a)->path,
            ((const struct torture_tree_entry *)b)->path);
}

/* The index of the directory holding entry i (sorted entries), or SIZE_MAX
 * for the root. */
static size_t parent_of(const struct torture_tree *t, size_t i) {
    const char *path = t->entries[i].path;
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) {
        return strcmp(path, "/") == 0 ? SIZE_MAX : 0;
    }
    size_t plen = (size_t)(slash - path);
    size_t lo = 0, hi = i;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(t->entries[mid].path, path, plen);
        if (c == 0 && t->entries[mid].path[plen] != '\0') {
            c = 1;
        }
        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            return mid;
        }
    }
    return SIZE_MAX;
}

static uint64_t hash_head(const struct torture_tree_entry *dir) {
    return hash_u64(hash_u64(HASH_INIT, dir->head[0]), dir->head[1]);
}

static void compute_digests(struct torture_tree *t) {
    uint64_t d = hash_u64(HASH_INIT, (uint64_t)(int64_t)t->mount_err);
    d = hash_u64(d, (uint64_t)(int64_t)t->walk_err);
    uint64_t s = d;
    for (size_t i = 0; i < t->count; i++) {
        struct torture_tree_entry *e = &t->entries[i];
        uint64_t x = hash_u64(HASH_INIT, e->type);
        x = hash_u64(x, e->size);
        for (size_t k = 0; k < e->nattrs; k++) {
            x = hash_u64(x, e->attrs[k].type);
            x = hash_u64(x, e->attrs[k].size);
            x = hash_u64(x, e->attrs[k].hash);
        }
        e->meta = hash_bytes(x, e->path, strlen(e->path) + 1);
        s = hash_u64(s, e->meta);
        d = hash_u64(d, hash_u64(e->meta, e->hash));
        /* rel: the parent's pair and the name, filled in below */
        const char *slash = strrchr(e->path, '/');
        e->rel = hash_bytes(x, slash + 1, strlen(slash + 1) + 1);
        if (e->type == LFS_TYPE_DIR) {
            /* the root's own attributes live in its pair; a child's in its parent's */
            e->listing = hash_u64(hash_head(e), strcmp(e->path, "/") == 0 ? x : 0);
        }
    }
    /* children follow their parent in sorted order, each listing in name order */
    for (size_t i = 0; i < t->count; i++) {
        struct torture_tree_entry *e = &t->entries[i];
        size_t p = parent_of(t, i);
        if (p != SIZE_MAX) {
            e->rel = hash_u64(e->rel, hash_head(&t->entries[p]));
            t->entries[p].listing = hash_u64(t->entries[p].listing, e->rel);
        }
        if (e->type != LFS_TYPE_DIR) {
            e->listing = hash_u64(hash_u64(e->rel, e->hash), 0x66);
        }
    }
    t->digest = d;
    t->shape = s;
}

const struct torture_tree_entry *torture_tree_find(const struct torture_tree *t,
        const char *path) {
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->entries[mid].path, path);
        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            return &t->entries[mid];
        }
    }
    return NULL;
}

static int capture(struct torture_tree *t, const struct lfs_config *cfg,
        const uint8_t *attr_types, bool settle) {
    memset(t, 0, sizeof(*t));
    struct lfs_config c = *cfg;
    c.read_buffer = c.prog_buffer = c.lookahead_buffer = NULL;
    lfs_t lfs;
    t->mount_err = lfs_mount(&lfs, &c);
    if (t->mount_err) {
        compute_digests(t);
        return 0;
    }
    if (settle) {
        t->walk_err = lfs_fs_mkconsistent(&lfs);
        if (t->walk_err) {
            snprintf(t->walk_where, sizeof(t->walk_where), "lfs_fs_mkconsistent");
            lfs_unmount(&lfs);
            compute_digests(t);
            return 0;
        }
    }
    int rc = add_entry(t, "/", "", LFS_TYPE_DIR, 0) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < t->count; i++) {
        if (read_attrs(t, &lfs, &t->entries[i], attr_types) < 0) {
            rc = -1;
        } else if (t->entries[i].type == LFS_TYPE_DIR) {
            rc = list_dir(t, &lfs, i);
        } else {
            read_file(t, &lfs, &t->entries[i]);
        }
    }
    lfs_unmount(&lfs);
    qsort(t->entries, t->count, sizeof(*t->entries), cmp_entry);
    compute_digests(t);
    return rc;
}

int torture_tree_capture(struct torture_tree *t, const struct lfs_config *cfg,
        const uint8_t *attr_types) {
    return capture(t, cfg, attr_types, false);
}

int torture_tree_capture_settled(struct torture_tree *t, const struct lfs_config *cfg,
        const uint8_t *attr_types) {
    return capture(t, cfg, attr_types, true);
}

int torture_tree_capture_paths(struct torture_tree *t, const struct lfs_config *cfg,
        const char *const *paths, size_t npaths) {
    memset(t, 0, sizeof(*t));
    struct lfs_config c = *cfg;
    c.read_buffer = c.prog_buffer = c.lookahead_buffer = NULL;
    lfs_t lfs;
    t->mount_err = lfs_mount(&lfs, &c);
    if (t->mount_err) {
        compute_digests(t);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < npaths; i++) {
        struct lfs_info info;
        if (torture_tree_find(t, paths[i]) || lfs_stat(&lfs, paths[i], &info) != 0) {
            continue;
        }
        if (!add_entry(t, paths[i], "", info.type, info.type == LFS_TYPE_REG ? info.size : 0)) {
            rc = -1;
        }
        qsort(t->entries, t->count, sizeof(*t->entries), cmp_entry);
    }
    lfs_unmount(&lfs);
    compute_digests(t);
    return rc;
}

void torture_tree_free(struct torture_tree *t) {
    for (size_t i = 0; i < t->count; i++) {
        free(t->entries[i].path);
        free(t->entries[i].attrs);
    }
    free(t->entries);
    memset(t, 0, sizeof(*t));
}

void torture_tree_move(struct torture_tree *dst, struct torture_tree *src) {
    torture_tree_free(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

void torture_tree_summary(const struct torture_tree *t, char *buf, size_t len) {
    if (t->mount_err) {
        snprintf(buf, len, "no filesystem (mount returns %d)", t->mount_err);
    } else if (t->walk_err) {
        snprintf(buf, len, "%zu entries, walk failed with %d at %s", t->count,
                t->walk_err, t->walk_where);
    } else {
        snprintf(buf, len, "%zu entries", t->count);
    }
}

static const char *kind(const struct torture_tree_entry *e) {
    return e->type == LFS_TYPE_DIR ? "dir" : "file";
}

static void describe(char *buf, size_t len, const struct torture_tree_entry *e) {
    if (e->type == LFS_TYPE_DIR) {
        snprintf(buf, len, "dir, %zu attrs", e->nattrs);
    } else {
        snprintf(buf, len, "file, %u bytes, %zu attrs", e->size, e->nattrs);
    }
}

static size_t diff_attrs(const struct torture_tree_entry *w, const struct torture_tree_entry *g,
        char *buf, size_t len, size_t *used) {
    size_t n = 0;
    size_t i = 0, k = 0;
    while (i < w->nattrs || k < g->nattrs) {
        const struct torture_tree_attr *a = i < w->nattrs ? &w->attrs[i] : NULL;
        const struct torture_tree_attr *b = k < g->nattrs ? &g->attrs[k] : NULL;
        if (a && (!b || a->type < b->type)) {
            *used = torture_appendf(buf, len, *used,
                    "\n    attr missing:  %s type 0x%02x (%u bytes)",
                    w->path, a->type, a->size);
            i++;
        } else if (b && (!a || b->type < a->type)) {
            *used = torture_appendf(buf, len, *used,
                    "\n    attr extra:    %s type 0x%02x (%u bytes)",
                    g->path, b->type, b->size);
            k++;
        } else {
            if (a->size != b->size || a->hash != b->hash) {
                *used = torture_appendf(buf, len, *used,
                        "\n    attr differs:  %s type 0x%02x: %u bytes "
                        "%016llx, got %u bytes %016llx", w->path, a->type, a->size,
                        (unsigned long long)a->hash, b->size, (unsigned long long)b->hash);
            } else {
                i++;
                k++;
                continue;
            }
            i++;
            k++;
        }
        n++;
    }
    return n;
}

size_t torture_tree_diff(const struct torture_tree *want, const struct torture_tree *got,
        char *buf, size_t len) {
    size_t used = strlen(buf), n = 0;
    if (want->mount_err != got->mount_err || want->walk_err != got->walk_err) {
        char a[256], b[256];
        torture_tree_summary(want, a, sizeof(a));
        torture_tree_summary(got, b, sizeof(b));
        used = torture_appendf(buf, len, used,
                "\n    state:         expected %s, got %s", a, b);
        n++;
    }
    size_t i = 0, k = 0;
    char d1[96], d2[96];
    while (i < want->count || k < got->count) {
        const struct torture_tree_entry *w = i < want->count ? &want->entries[i] : NULL;
        const struct torture_tree_entry *g = k < got->count ? &got->entries[k] : NULL;
        int c = !w ? 1 : !g ? -1 : strcmp(w->path, g->path);
        if (c < 0) {
            describe(d1, sizeof(d1), w);
            used = torture_appendf(buf, len, used, "\n    missing:       %s (%s)", w->path, d1);
            i++;
            n++;
        } else if (c > 0) {
            describe(d2, sizeof(d2), g);
            used = torture_appendf(buf, len, used, "\n    extra:         %s (%s)", g->path, d2);
            k++;
            n++;
        } else {
            if (w->type != g->type) {
                used = torture_appendf(buf, len, used,
                        "\n    type differs:  %s is a %s, got a %s",
                        w->path, kind(w), kind(g));
                n++;
            } else if (w->size != g->size) {
                used = torture_appendf(buf, len, used,
                        "\n    size differs:  %s: %u bytes, got %u",
                        w->path, w->size, g->size);
                n++;
            } else if (w->hash != g->hash) {
                used = torture_appendf(buf, len, used,
                        "\n    data differs:  %s (%u bytes, same size, "
                        "other contents)", w->path, w->size);
                n++;
            }
            n += diff_attrs(w, g, buf, len, &used);
            i++;
            k++;
        }
    }
    return n;
}
