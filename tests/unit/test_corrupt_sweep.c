/*
 * test_corrupt_sweep.c - the corrupted-image sweep (issue 4 acceptance).
 *
 * Takes every golden image in tests/data/images (paths relative to the repo
 * root, where `make test` runs) and makes thousands of corrupted variants:
 * bit flips, byte smears, zeroed or erased blocks, truncation, swapped
 * blocks, and stacks of those, all drawn from one seed. Each variant is
 * mounted with the golden manifest's geometry and walked through the public
 * API only: every directory (an explicit stack, bounded depth), stat, every
 * file read fully and with seeks, getattr, lfs_fs_size, lfs_fs_traverse.
 *
 * The core may refuse (LFS_ERR_CORRUPT, NOENT, INVAL, ...) but what it does
 * return must be consistent: dir listings end, a successful stat agrees
 * with dir_read, a file reads exactly its size and seeks read the same
 * bytes as the sequential pass, getattr stays in its buffer, traverse names
 * only real blocks, fs_size does not exceed what traverse names, no read
 * leaves the device or its alignment, and nothing is written. Sanitizers
 * catch the rest (and leaks, per worker); alarm() catches hangs. The
 * pristine images must walk with no error at all.
 *
 * A CMocka program, one test per image; each image's variants are split
 * over one forked worker per core. A failing variant prints one line with
 * (image, seed, index) and the command that replays it alone, a crash a
 * CRASH line with the same:
 *     test_corrupt_sweep --replay IMAGE:SEED:INDEX
 * Other options: --seed S (default below), --variants N (total, 10200 by
 * default), --image NAME (only that image).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <cmocka.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

#include "bd_emu.h"
#include "lfs.h"

#define IMAGES_DIR "tests/data/images"
#define DEFAULT_SEED 0x5eed2024u
#define DEFAULT_VARIANTS 10200
#define MAX_IMAGES 16
#define HANG_SECONDS 20
#define MAX_DEPTH 24            /* deeper is a directory cycle: not descended */
#define MAX_FAIL_LINES 40       /* per image; all are counted */
#define DESC_SIZE 512
#define SEEKS_PER_FILE 6
#define ATTR_PROBES 6
#define MAX_WORKERS 4
#define WEIGHT_BASE 20        /* variants per image ~ 1 / (entries + this) */

/* ---- small utilities ------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
    return n ? (uint32_t)(splitmix64(rng) % n) : 0;
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    }
    return h;
}

static void appendf(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* ---- golden images and their manifests -------------------------------------- */

struct golden {
    char name[64];
    char img_path[256];
    uint32_t block_size, block_count, read_size, prog_size;
    uint32_t entries;           /* files and directories besides the root */
    uint8_t attr_types[16];     /* attribute types the manifest uses */
    int nattr_types;
    uint32_t variants;
    /* filled by setup */
    bd_emu_t *bd;
    bd_emu_snapshot_t *pristine;
    uint32_t *used;             /* blocks the pristine traverse names */
    uint32_t nused;
};

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text && fread(text, 1, (size_t)len, f) != (size_t)len) {
        free(text);
        text = NULL;
    }
    if (text) {
        text[len] = '\0';
    }
    fclose(f);
    return text;
}

/* The integer after "key": inside the geometry object; 0 if absent. */
static uint32_t json_uint(const char *geometry, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(geometry, pat);
    return p ? (uint32_t)strtoul(p + strlen(pat), NULL, 10) : 0;
}

/* Reads what the sweep needs from NAME.manifest.json: geometry, how many
 * entries, and which attribute types occur (so getattr probes real ones). */
static int load_manifest(struct golden *g, const char *dir, const char *name)
{
    char path[512];
    if ((size_t)snprintf(g->name, sizeof(g->name), "%s", name) >= sizeof(g->name)
            || (size_t)snprintf(g->img_path, sizeof(g->img_path), "%s/%s.img",
                dir, name) >= sizeof(g->img_path)
            || (size_t)snprintf(path, sizeof(path), "%s/%s.manifest.json",
                dir, name) >= sizeof(path)) {
        fprintf(stderr, "corrupt-sweep: image name too long: %s\n", name);
        return -1;
    }
    char *text = read_text(path);
    if (!text) {
        fprintf(stderr, "corrupt-sweep: cannot read %s\n", path);
        return -1;
    }
    const char *geo = strstr(text, "\"geometry\"");
    if (geo) {
        g->block_size = json_uint(geo, "block_size");
        g->block_count = json_uint(geo, "block_count");
        g->read_size = json_uint(geo, "read_size");
        g->prog_size = json_uint(geo, "prog_size");
    }
    g->entries = 0;
    for (const char *p = strstr(text, "\"path\":"); p; p = strstr(p + 1, "\"path\":")) {
        g->entries++;
    }
    g->entries = g->entries ? g->entries - 1 : 0;
    g->nattr_types = 0;
    for (const char *p = strstr(text, "\"attrs\": {"); p; p = strstr(p + 1, "\"attrs\": {")) {
        const char *end = strchr(p, '}');
        for (const char *k = strchr(p + 10, '"'); k && end && k < end;
                k = strchr(k + 1, '"')) {
            /* keys are "TT": two hex digits, then a quote and a colon */
            if (k[3] == '"' && k[4] == ':') {
                unsigned type = (unsigned)strtoul(k + 1, NULL, 16);
                bool seen = false;
                for (int i = 0; i < g->nattr_types; i++) {
                    seen |= g->attr_types[i] == type;
                }
                if (!seen && g->nattr_types < (int)sizeof(g->attr_types)) {
                    g->attr_types[g->nattr_types++] = (uint8_t)type;
                }
            }
            k = strchr(k + 1, '"');     /* skip the value's closing quote */
            if (!k) {
                break;
            }
        }
    }
    free(text);
    if (!g->block_size || !g->block_count || !g->read_size || !g->prog_size) {
        fprintf(stderr, "corrupt-sweep: %s: no geometry\n", path);
        return -1;
    }
    return 0;
}

static int find_images(struct golden *images, const char *only)
{
    DIR *d = opendir(IMAGES_DIR);
    if (!d) {
        fprintf(stderr, "corrupt-sweep: cannot open %s (run from the repo root)\n",
                IMAGES_DIR);
        return -1;
    }
    char names[MAX_IMAGES][64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX_IMAGES) {
        const char *suffix = ".manifest.json";
        size_t len = strlen(e->d_name), slen = strlen(suffix);
        if (len > slen && len - slen < sizeof(names[0])
                && strcmp(e->d_name + len - slen, suffix) == 0) {
            memcpy(names[n], e->d_name, len - slen);
            names[n][len - slen] = '\0';
            if (!only || strcmp(only, names[n]) == 0) {
                n++;
            }
        }
    }
    closedir(d);
    /* a fixed order, whatever readdir's */
    qsort(names, (size_t)n, sizeof(names[0]),
            (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        if (load_manifest(&images[i], IMAGES_DIR, names[i]) < 0) {
            return -1;
        }
    }
    return n;
}

/* ---- the device the core sees: bounds-checked, write-refusing -------------- */

struct checked_dev {
    bd_emu_t *bd;
    uint32_t block_size, block_count, read_size;
    char violation[160];        /* first misuse by the core, if any */
};

static void note_violation(struct checked_dev *dev, const char *fmt, ...)
{
    if (dev->violation[0]) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dev->violation, sizeof(dev->violation), fmt, ap);
    va_end(ap);
}

static int dev_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size)
{
    struct checked_dev *dev = c->context;
    if (block >= dev->block_count || off > dev->block_size
            || size > dev->block_size - off) {
        note_violation(dev, "core read block %lu off %lu size %lu, outside the "
                "device", (unsigned long)block, (unsigned long)off,
                (unsigned long)size);
        return LFS_ERR_INVAL;
    }
    if (off % dev->read_size || size % dev->read_size) {
        note_violation(dev, "core read block %lu off %lu size %lu, not aligned "
                "to read_size %lu", (unsigned long)block, (unsigned long)off,
                (unsigned long)size, (unsigned long)dev->read_size);
        return LFS_ERR_INVAL;
    }
    return bd_emu_dev_read(dev->bd, block, off, buffer, size);
}

static int dev_prog(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, const void *buffer, lfs_size_t size)
{
    (void)buffer;
    note_violation(c->context, "core programmed block %lu off %lu size %lu "
            "during a read-only walk", (unsigned long)block, (unsigned long)off,
            (unsigned long)size);
    return LFS_ERR_IO;
}

static int dev_erase(const struct lfs_config *c, lfs_block_t block)
{
    note_violation(c->context, "core erased block %lu during a read-only walk",
            (unsigned long)block);
    return LFS_ERR_IO;
}

static int dev_sync(const struct lfs_config *c)
{
    (void)c;
    return 0;
}

/* ---- one walk of a (possibly corrupted) image ------------------------------- */

struct walk {
    struct golden *g;
    struct checked_dev *dev;
    lfs_t lfs;
    struct lfs_config cfg;
    uint64_t rng;               /* read sizes, seeks, attr probes */
    char problem[DESC_SIZE];    /* first inconsistency found */
    /* what the walk got to, for the summary and the pristine check */
    bool mounted;
    uint32_t entries, files_read;
    uint64_t budget;            /* entries still allowed in this walk */
    uint8_t *content;           /* a file's bytes, device-sized */
    bool strict;                /* pristine image: every error is a problem */
};

static void problem(struct walk *w, const char *fmt, ...)
{
    if (w->problem[0]) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->problem, sizeof(w->problem), fmt, ap);
    va_end(ap);
}

/* Errors a damaged image may legitimately produce. */
static bool allowed_error(int err)
{
    return err == LFS_ERR_CORRUPT || err == LFS_ERR_NOENT || err == LFS_ERR_INVAL
        || err == LFS_ERR_NOTDIR || err == LFS_ERR_ISDIR
        || err == LFS_ERR_NAMETOOLONG || err == LFS_ERR_FBIG;
}

static void check_error(struct walk *w, const char *what, const char *path, int err)
{
    if (w->strict || !allowed_error(err)) {
        problem(w, "%s(\"%s\") returned %d", what, path, err);
    }
}

struct traverse_count {
    uint32_t block_count;
    uint64_t calls, limit;
    lfs_block_t bad;
    bool out_of_range, runaway;
};

static int traverse_cb(void *data, lfs_block_t block)
{
    struct traverse_count *t = data;
    if (block >= t->block_count && !t->out_of_range) {
        t->out_of_range = true;
        t->bad = block;
    }
    if (++t->calls > t->limit) {
        t->runaway = true;
        return LFS_ERR_CORRUPT;   /* stop it; reported as a problem anyway */
    }
    return 0;
}

static void check_attrs(struct walk *w, const char *path)
{
    static uint8_t a[LFS_ATTR_MAX + 8], b[LFS_ATTR_MAX + 8];
    for (int i = 0; i < ATTR_PROBES; i++) {
        uint8_t type = i < w->g->nattr_types ? w->g->attr_types[i]
                : (uint8_t)below(&w->rng, 256);
        memset(a, 0xa5, sizeof(a));
        lfs_ssize_t n = lfs_getattr(&w->lfs, path, type, a, LFS_ATTR_MAX);
        if (n < 0) {
            if (n != LFS_ERR_NOATTR) {
                check_error(w, "getattr", path, n);
            }
            continue;
        }
        if (n > LFS_ATTR_MAX) {
            problem(w, "getattr(\"%s\", 0x%02x) = %ld, above attr_max", path,
                    type, (long)n);
            return;
        }
        if (a[LFS_ATTR_MAX] != 0xa5) {
            problem(w, "getattr(\"%s\", 0x%02x) wrote past its buffer", path, type);
            return;
        }
        /* again with a 1-byte buffer: same size, one byte, same first byte */
        memset(b, 0xa5, sizeof(b));
        lfs_ssize_t m = lfs_getattr(&w->lfs, path, type, b, 1);
        if (m < 0) {
            check_error(w, "getattr", path, m);
        } else if (m != n || b[1] != 0xa5 || (n > 0 && b[0] != a[0])) {
            problem(w, "getattr(\"%s\", 0x%02x) with a 1-byte buffer disagrees "
                    "(%ld vs %ld bytes)", path, type, (long)m, (long)n);
        }
    }
}

static void check_file(struct walk *w, const char *path, const struct lfs_info *info)
{
    lfs_file_t file;
    int err = lfs_file_open(&w->lfs, &file, path, LFS_O_RDONLY);
    if (err) {
        check_error(w, "file_open", path, err);
        return;
    }
    uint64_t device = (uint64_t)w->g->block_size * w->g->block_count;
    lfs_soff_t size = lfs_file_size(&w->lfs, &file);
    if (size < 0) {
        check_error(w, "file_size", path, size);
    } else if ((lfs_size_t)size != info->size) {
        problem(w, "file_size(\"%s\") = %ld but dir_read said %lu", path,
                (long)size, (unsigned long)info->size);
    } else if ((uint64_t)size <= device) {
        /* sequential pass in seeded chunk sizes */
        /* sequential pass in seeded chunk sizes; content has device + 1
         * bytes and total <= size <= device here */
        uint64_t total = 0;
        bool ok = true;
        for (;;) {
            uint32_t want = 1 + below(&w->rng, 700);
            if (want > device + 1 - total) {
                want = (uint32_t)(device + 1 - total);
            }
            lfs_ssize_t n = lfs_file_read(&w->lfs, &file, w->content + total, want);
            if (n < 0) {
                check_error(w, "file_read", path, n);
                ok = false;
                break;
            }
            if ((uint32_t)n > want) {
                problem(w, "file_read(\"%s\") returned %ld for %lu asked", path,
                        (long)n, (unsigned long)want);
                ok = false;
                break;
            }
            if (n == 0) {
                break;
            }
            total += (uint64_t)n;
            if (total > (uint64_t)size) {
                problem(w, "file_read(\"%s\") gave more than its %ld bytes", path,
                        (long)size);
                ok = false;
                break;
            }
        }
        if (ok && total != (uint64_t)size) {
            problem(w, "file_read(\"%s\") ended after %llu of %ld bytes", path,
                    (unsigned long long)total, (long)size);
            ok = false;
        }
        /* seeks must read the same bytes as the sequential pass */
        for (int i = 0; ok && i < SEEKS_PER_FILE && !w->problem[0]; i++) {
            lfs_soff_t cur = lfs_file_tell(&w->lfs, &file);
            if (cur < 0) {
                check_error(w, "file_tell", path, cur);
                break;
            }
            int whence = (int)below(&w->rng, 3);
            int64_t span = size + 64;
            int64_t off = (int64_t)below(&w->rng, (uint32_t)(2 * span)) - span / 2;
            int64_t base = whence == LFS_SEEK_SET ? 0
                    : whence == LFS_SEEK_CUR ? cur : size;
            int64_t target = base + off;
            lfs_soff_t pos = lfs_file_seek(&w->lfs, &file, (lfs_soff_t)off, whence);
            if (target < 0) {
                if (pos >= 0) {
                    problem(w, "file_seek(\"%s\") to %lld succeeded", path,
                            (long long)target);
                }
                continue;
            }
            if (pos < 0) {
                check_error(w, "file_seek", path, pos);
                break;
            }
            if (pos != target || lfs_file_tell(&w->lfs, &file) != target) {
                problem(w, "file_seek(\"%s\") to %lld went to %ld", path,
                        (long long)target, (long)pos);
                break;
            }
            static uint8_t buf[600];
            uint32_t want = 1 + below(&w->rng, sizeof(buf));
            lfs_ssize_t n = lfs_file_read(&w->lfs, &file, buf, want);
            if (n < 0) {
                check_error(w, "file_read", path, n);
                break;
            }
            int64_t expect = target >= size ? 0
                    : (size - target < want ? size - target : want);
            if (n != expect || memcmp(buf, w->content + target, (size_t)n) != 0) {
                problem(w, "file_read(\"%s\") after seeking to %lld gave %ld "
                        "bytes that differ from the sequential read (expected %lld)",
                        path, (long long)target, (long)n, (long long)expect);
            }
        }
        if (ok) {
            w->files_read++;
        }
    }
    err = lfs_file_close(&w->lfs, &file);
    if (err) {
        check_error(w, "file_close", path, err);
    }
}

/* Was `name` already listed in this directory? (Duplicates can appear when
 * whole blocks are swapped; stat then finds the first of them.) */
static bool listed_before(const char *names, size_t len, const char *name)
{
    for (size_t off = 0; off < len; off += strlen(names + off) + 1) {
        if (strcmp(names + off, name) == 0) {
            return true;
        }
    }
    return false;
}

struct frame {
    size_t path_len;
    uint32_t read;              /* entries read, "." and ".." included */
    char *names;                /* names listed so far, NUL-separated */
    size_t names_len, names_cap;
};

static bool usable_name(const char *name)
{
    return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0
        && strcmp(name, "..") != 0;
}

static void check_entry(struct walk *w, const char *path,
        const struct lfs_info *info, bool duplicate)
{
    /* stat may fail on a damaged image even for a listed name: a stale
     * copy of the name, revived in an earlier pair of the directory by the
     * damage and hidden there by a pending move, makes the lookup stop with
     * NOENT (littlefs's own lookup does the same). Success must agree. */
    struct lfs_info st;
    int err = lfs_stat(&w->lfs, path, &st);
    if (err) {
        check_error(w, "stat", path, err);
    } else if (!duplicate && (st.type != info->type
            || (info->type == LFS_TYPE_REG && st.size != info->size)
            || strcmp(st.name, info->name) != 0)) {
        problem(w, "stat(\"%s\") says type %d size %lu name \"%.40s\", dir_read "
                "said type %d size %lu", path, st.type, (unsigned long)st.size,
                st.name, info->type, (unsigned long)info->size);
    }
    check_attrs(w, path);
    if (info->type == LFS_TYPE_REG && !duplicate) {
        check_file(w, path, info);
    }
}

static void walk_tree(struct walk *w)
{
    static lfs_dir_t dirs[MAX_DEPTH];   /* fixed: the core links open dirs */
    static struct frame frames[MAX_DEPTH];
    static char path[MAX_DEPTH * (LFS_NAME_MAX + 1) + 2];
    uint64_t per_dir_limit = (uint64_t)w->g->block_size * w->g->block_count / 8;
    int depth = 0;

    strcpy(path, "/");
    int err = lfs_dir_open(&w->lfs, &dirs[0], "/");
    if (err) {
        check_error(w, "dir_open", "/", err);
        return;
    }
    frames[0] = (struct frame){.path_len = 1};
    depth = 1;
    check_attrs(w, "/");

    while (depth > 0 && !w->problem[0]) {
        struct frame *f = &frames[depth - 1];
        struct lfs_info info;
        memset(&info, 0xa5, sizeof(info));
        path[f->path_len] = '\0';
        int res = lfs_dir_read(&w->lfs, &dirs[depth - 1], &info);
        bool close_it = res <= 0;
        if (res < 0) {
            check_error(w, "dir_read", path, res);
        } else if (res > 0 && ++f->read > per_dir_limit) {
            problem(w, "dir_read(\"%s\") goes on past %llu entries", path,
                    (unsigned long long)per_dir_limit);
            close_it = true;
        } else if (res > 0 && !memchr(info.name, '\0', sizeof(info.name))) {
            problem(w, "dir_read(\"%s\") gave an unterminated name", path);
            close_it = true;
        } else if (res > 0 && info.type != LFS_TYPE_REG && info.type != LFS_TYPE_DIR) {
            problem(w, "dir_read(\"%s\") gave type %d", path, info.type);
            close_it = true;
        }
        if (close_it) {
            err = lfs_dir_close(&w->lfs, &dirs[depth - 1]);
            if (err) {
                check_error(w, "dir_close", path, err);
            }
            free(f->names);
            depth--;
            continue;
        }
        if (f->read <= 2 && (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)) {
            continue;
        }
        w->entries++;
        if (!usable_name(info.name) || w->budget == 0) {
            continue;           /* cannot be named by a path, or out of budget */
        }
        w->budget--;

        size_t name_len = strlen(info.name);
        bool duplicate = listed_before(f->names, f->names_len, info.name);
        if (!duplicate) {
            if (f->names_len + name_len + 1 > f->names_cap) {
                size_t cap = (f->names_cap + name_len + 1) * 2;
                char *grown = realloc(f->names, cap);
                if (!grown) {
                    problem(w, "out of memory in the sweep");
                    continue;
                }
                f->names = grown;
                f->names_cap = cap;
            }
            memcpy(f->names + f->names_len, info.name, name_len + 1);
            f->names_len += name_len + 1;
        }

        size_t base = f->path_len;
        size_t len = base + (base > 1) + name_len;
        if (base > 1) {
            path[base] = '/';
        }
        memcpy(path + base + (base > 1), info.name, name_len + 1);
        check_entry(w, path, &info, duplicate);

        if (info.type == LFS_TYPE_DIR && !duplicate && !w->problem[0]) {
            if (depth >= MAX_DEPTH) {
                continue;       /* a cycle through swapped blocks */
            }
            err = lfs_dir_open(&w->lfs, &dirs[depth], path);
            if (err) {
                check_error(w, "dir_open", path, err);
                continue;
            }
            frames[depth] = (struct frame){.path_len = len};
            depth++;
        }
    }
    while (depth > 0) {
        lfs_dir_close(&w->lfs, &dirs[depth - 1]);
        free(frames[depth - 1].names);
        depth--;
    }
}

static void check_fs(struct walk *w)
{
    struct lfs_fsinfo fsinfo;
    int err = lfs_fs_stat(&w->lfs, &fsinfo);
    if (err) {
        check_error(w, "fs_stat", "", err);
    } else if (fsinfo.block_size != w->g->block_size
            || fsinfo.block_count != w->g->block_count) {
        problem(w, "fs_stat says %lu blocks of %lu bytes, mounted with %lu of %lu",
                (unsigned long)fsinfo.block_count, (unsigned long)fsinfo.block_size,
                (unsigned long)w->g->block_count, (unsigned long)w->g->block_size);
    }

    struct traverse_count t = {.block_count = w->g->block_count,
            .limit = 64ull * w->g->block_count + 64};
    err = lfs_fs_traverse(&w->lfs, traverse_cb, &t);
    if (t.out_of_range) {
        problem(w, "fs_traverse named block %lu of %lu", (unsigned long)t.bad,
                (unsigned long)w->g->block_count);
    } else if (t.runaway) {
        problem(w, "fs_traverse went past %llu blocks", (unsigned long long)t.limit);
    } else if (err) {
        check_error(w, "fs_traverse", "", err);
    }

    lfs_ssize_t size = lfs_fs_size(&w->lfs);
    if (size < 0) {
        check_error(w, "fs_size", "", size);
    } else if (!err && !t.runaway && (uint64_t)size > t.calls) {
        problem(w, "fs_size = %ld but traverse named only %llu blocks",
                (long)size, (unsigned long long)t.calls);
    }
}

/* Mounts the device as it is now and checks everything. */
static void run_walk(struct walk *w)
{
    memset(&w->cfg, 0, sizeof(w->cfg));
    w->cfg.context = w->dev;
    w->cfg.read = dev_read;
    w->cfg.prog = dev_prog;
    w->cfg.erase = dev_erase;
    w->cfg.sync = dev_sync;
    w->cfg.read_size = w->g->read_size;
    w->cfg.prog_size = w->g->prog_size;
    w->cfg.block_size = w->g->block_size;
    w->cfg.block_count = w->g->block_count;
    w->cfg.block_cycles = -1;
    w->cfg.cache_size = w->g->read_size > 64 ? w->g->read_size : 64;
    w->cfg.lookahead_size = 16;

    int err = lfs_mount(&w->lfs, &w->cfg);
    if (err) {
        check_error(w, "mount", "", err);
        return;
    }
    w->mounted = true;
    check_fs(w);
    if (!w->problem[0]) {
        walk_tree(w);
    }
    err = lfs_unmount(&w->lfs);
    if (err) {
        check_error(w, "unmount", "", err);
    }
}

/* ---- corruption ----------------------------------------------------------------- */

enum kind { K_FLIP, K_SMEAR, K_BLANK, K_TRUNCATE, K_SWAP, K_STACK, K_COUNT };
static const char *const kind_names[K_COUNT] = {
    "bitflip", "smear", "blank", "truncate", "swap", "stack",
};

static void harness_fail(const char *what, int err);

static uint8_t *scratch_a, *scratch_b;  /* block-sized */
static uint8_t *scratch_content;        /* the largest device's size, + 1 */

static void get_block(struct golden *g, uint32_t block, uint8_t *buf)
{
    int err = bd_emu_peek(g->bd, block, 0, buf, g->block_size);
    if (err) {
        harness_fail("bd_emu_peek", err);
    }
}

static void put_block(struct golden *g, uint32_t block, const uint8_t *buf)
{
    int err = bd_emu_dev_erase(g->bd, block);
    if (!err) {
        err = bd_emu_dev_prog(g->bd, block, 0, buf, g->block_size);
    }
    if (err) {
        harness_fail("bd_emu_dev_erase/prog", err);
    }
}

/* Mostly blocks the filesystem uses; sometimes any block. */
static uint32_t pick_block(struct golden *g, uint64_t *rng)
{
    if (g->nused && below(rng, 5) != 0) {
        return g->used[below(rng, g->nused)];
    }
    return below(rng, g->block_count);
}

static void corrupt_once(struct golden *g, enum kind kind, uint64_t *rng,
        char *desc, size_t desc_size)
{
    uint32_t bs = g->block_size;
    switch (kind) {
    case K_FLIP: {
        uint32_t n = 1 + below(rng, 4);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t block = pick_block(g, rng);
            uint32_t bit = below(rng, bs * 8);
            int err = bd_emu_flip_bit(g->bd, block, bit);
            if (err) {
                harness_fail("bd_emu_flip_bit", err);
            }
            appendf(desc, desc_size, "flip block %lu bit %lu; ",
                    (unsigned long)block, (unsigned long)bit);
        }
        break;
    }
    case K_SMEAR: {
        uint32_t block = pick_block(g, rng);
        uint32_t off = below(rng, bs);
        uint32_t max = bs - off < 64 ? bs - off : 64;
        uint32_t len = 1 + below(rng, max);
        int mode = (int)below(rng, 4);     /* 0x00, 0xff, one value, noise */
        uint8_t value = mode == 0 ? 0x00 : mode == 1 ? 0xff : (uint8_t)below(rng, 256);
        get_block(g, block, scratch_a);
        for (uint32_t i = 0; i < len; i++) {
            scratch_a[off + i] = mode == 3 ? (uint8_t)below(rng, 256) : value;
        }
        put_block(g, block, scratch_a);
        appendf(desc, desc_size, "smear block %lu off %lu len %lu %s 0x%02x; ",
                (unsigned long)block, (unsigned long)off, (unsigned long)len,
                mode == 3 ? "noise" : "with", value);
        break;
    }
    case K_BLANK: {
        uint32_t block = pick_block(g, rng);
        uint8_t value = below(rng, 2) ? 0xff : 0x00;
        memset(scratch_a, value, bs);
        put_block(g, block, scratch_a);
        appendf(desc, desc_size, "blank block %lu to 0x%02x; ",
                (unsigned long)block, value);
        break;
    }
    case K_TRUNCATE: {
        /* the file ends mid-image; what follows reads erased or zero */
        uint32_t block = pick_block(g, rng);
        uint32_t off = below(rng, bs);
        uint8_t value = below(rng, 4) ? 0xff : 0x00;
        get_block(g, block, scratch_a);
        memset(scratch_a + off, value, bs - off);
        put_block(g, block, scratch_a);
        memset(scratch_a, value, bs);
        for (uint32_t b = block + 1; b < g->block_count; b++) {
            put_block(g, b, scratch_a);
        }
        appendf(desc, desc_size, "truncate at block %lu off %lu, rest 0x%02x; ",
                (unsigned long)block, (unsigned long)off, value);
        break;
    }
    case K_SWAP: {
        uint32_t a = pick_block(g, rng), b = pick_block(g, rng);
        if (a == b) {
            b = (a + 1 + below(rng, g->block_count - 1)) % g->block_count;
        }
        get_block(g, a, scratch_a);
        get_block(g, b, scratch_b);
        put_block(g, a, scratch_b);
        put_block(g, b, scratch_a);
        appendf(desc, desc_size, "swap blocks %lu and %lu; ",
                (unsigned long)a, (unsigned long)b);
        break;
    }
    case K_STACK:
    case K_COUNT: {
        uint32_t n = 2 + below(rng, 2);
        for (uint32_t i = 0; i < n; i++) {
            corrupt_once(g, (enum kind)below(rng, K_STACK), rng, desc, desc_size);
        }
        break;
    }
    }
}

static uint64_t variant_seed(const struct golden *g, uint64_t seed, uint32_t index)
{
    uint64_t s = seed ^ name_hash(g->name) ^ ((uint64_t)index * 0xd1b54a32d192ed03ull);
    return splitmix64(&s);
}

/* ---- running variants -------------------------------------------------------------- */

static uint64_t sweep_seed = DEFAULT_SEED;
static const char *program = "test_corrupt_sweep";
static sigjmp_buf hang_jump;
static volatile sig_atomic_t hang_armed;

static void on_alarm(int sig)
{
    (void)sig;
    if (hang_armed) {
        siglongjmp(hang_jump, 1);
    }
    static const char msg[] = "corrupt-sweep: no result within the time limit "
            "outside a variant (loading or walking a pristine image)\n";
    ssize_t n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void)n;
    _exit(1);
}

/* The replay line of the variant running now, written out if the process
 * dies inside it (sanitizer report or fatal signal), so a crash names it. */
static char crash_line[DESC_SIZE];
static size_t crash_line_len;

static void print_crash_line(void)
{
    if (crash_line_len) {
        ssize_t n = write(STDOUT_FILENO, crash_line, crash_line_len);
        (void)n;
    }
}

#if !defined(__SANITIZE_ADDRESS__)
static void on_fatal_signal(int sig)
{
    print_crash_line();
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void install_crash_reporting(void)
{
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(print_crash_line);
#else
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        signal(fatal[i], on_fatal_signal);
    }
#endif
}

/* The test machinery itself broke (not the core): say so and stop. */
static void harness_fail(const char *what, int err)
{
    fflush(stdout);
    fprintf(stderr, "corrupt-sweep: harness error: %s returned %d\n", what, err);
    exit(3);
}

struct result {
    char problem[DESC_SIZE];
    char desc[DESC_SIZE];
    enum kind kind;
    bool mounted;
    uint32_t entries, files_read;
};

static void reload_device(struct golden *g)
{
    /* after a hang the old device may be mid-operation: start afresh */
    struct bd_emu_config bcfg = {
        .read_size = g->read_size, .prog_size = g->prog_size,
        .block_size = g->block_size, .block_count = g->block_count,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT,
    };
    char why[128] = "";
    g->bd = bd_emu_create(&bcfg, why, sizeof(why));
    if (!g->bd) {
        fprintf(stderr, "corrupt-sweep: %s: %s\n", g->name, why);
        harness_fail("bd_emu_create", 0);
    }
    int err = bd_emu_load_image(g->bd, g->img_path);
    if (err) {
        harness_fail(g->img_path, err);
    }
    g->pristine = bd_emu_snapshot(g->bd);
    if (!g->pristine) {
        harness_fail("bd_emu_snapshot", 0);
    }
}

static void run_variant(struct golden *g, uint64_t seed, uint32_t index,
        struct result *r)
{
    static struct checked_dev dev;
    static struct walk w;
    memset(r, 0, sizeof(*r));
    uint64_t rng = variant_seed(g, seed, index);
    r->kind = (enum kind)(index % K_COUNT);

    int len = snprintf(crash_line, sizeof(crash_line), "corrupt-sweep CRASH in "
            "%s seed=0x%llx index=%lu; replay: %s --replay %s:0x%llx:%lu\n",
            g->name, (unsigned long long)seed, (unsigned long)index, program,
            g->name, (unsigned long long)seed, (unsigned long)index);
    crash_line_len = len > 0 && (size_t)len < sizeof(crash_line) ? (size_t)len : 0;

    int err = bd_emu_restore(g->bd, g->pristine);
    if (err) {
        harness_fail("bd_emu_restore", err);
    }
    corrupt_once(g, r->kind, &rng, r->desc, sizeof(r->desc));

    dev = (struct checked_dev){.bd = g->bd, .block_size = g->block_size,
            .block_count = g->block_count, .read_size = g->read_size};
    memset(&w, 0, sizeof(w));
    w.g = g;
    w.dev = &dev;
    w.rng = rng;
    w.budget = 4ull * g->entries + 256;
    w.content = scratch_content;

    if (sigsetjmp(hang_jump, 1) == 0) {
        hang_armed = 1;
        alarm(HANG_SECONDS);
        run_walk(&w);
        alarm(0);
        hang_armed = 0;
    } else {
        hang_armed = 0;
        snprintf(r->problem, sizeof(r->problem), "no result within %d s (a hang)",
                HANG_SECONDS);
        reload_device(g);       /* the old device and core state are abandoned */
        crash_line_len = 0;
        return;
    }
    crash_line_len = 0;
    if (dev.violation[0]) {
        snprintf(r->problem, sizeof(r->problem), "%s", dev.violation);
    } else {
        memcpy(r->problem, w.problem, sizeof(r->problem));
    }
    r->mounted = w.mounted;
    r->entries = w.entries;
    r->files_read = w.files_read;
}

static void print_failure(const struct golden *g, uint32_t index, const struct result *r)
{
    printf("corrupt-sweep FAIL %s seed=0x%llx index=%lu (%s: %s): %s\n"
           "    replay: %s --replay %s:0x%llx:%lu\n",
           g->name, (unsigned long long)sweep_seed, (unsigned long)index,
           kind_names[r->kind], r->desc, r->problem, program, g->name,
           (unsigned long long)sweep_seed, (unsigned long)index);
    fflush(stdout);
}

/* What a worker did with its share of an image's variants. */
struct tally {
    uint32_t variants, failures, mounted, walked;
    uint32_t by_kind[K_COUNT], mounted_by_kind[K_COUNT];
    uint64_t files_read;
};

static void run_share(struct golden *g, uint32_t first, uint32_t step,
        struct tally *t)
{
    for (uint32_t i = first; i < g->variants; i += step) {
        struct result r;
        run_variant(g, sweep_seed, i, &r);
        t->variants++;
        t->by_kind[r.kind]++;
        t->mounted += r.mounted;
        t->mounted_by_kind[r.kind] += r.mounted;
        t->files_read += r.files_read;
        t->walked += r.mounted && r.entries > 0;
        if (r.problem[0]) {
            if (t->failures < MAX_FAIL_LINES) {
                print_failure(g, i, &r);
            }
            t->failures++;
        }
    }
}

static void add_tally(struct tally *sum, const struct tally *t)
{
    sum->variants += t->variants;
    sum->failures += t->failures;
    sum->mounted += t->mounted;
    sum->walked += t->walked;
    sum->files_read += t->files_read;
    for (int k = 0; k < K_COUNT; k++) {
        sum->by_kind[k] += t->by_kind[k];
        sum->mounted_by_kind[k] += t->mounted_by_kind[k];
    }
}

/* Splits the variants over one forked worker per core (variant i goes to
 * worker i % n, so results do not depend on n). Returns how many workers
 * died instead of reporting (a crash: its replay line is already out). */
static int run_workers(struct golden *g, struct tally *sum)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores < 1 ? 1 : cores > MAX_WORKERS ? MAX_WORKERS : (int)cores;
    int fds[MAX_WORKERS];
    pid_t pids[MAX_WORKERS];
    int died = 0;

    fflush(stdout);
    fflush(stderr);
    for (int k = 0; k < n; k++) {
        int p[2];
        if (pipe(p) != 0) {
            harness_fail("pipe", -1);
        }
        pids[k] = fork();
        if (pids[k] < 0) {
            harness_fail("fork", -1);
        }
        if (pids[k] == 0) {
            close(p[0]);
            struct tally t;
            memset(&t, 0, sizeof(t));
            run_share(g, (uint32_t)k, (uint32_t)n, &t);
#if defined(__SANITIZE_ADDRESS__)
            __lsan_do_leak_check();     /* the core must not leak per variant */
#endif
            const char *p8 = (const char *)&t;
            size_t left = sizeof(t);
            while (left > 0) {
                ssize_t w = write(p[1], p8, left);
                if (w <= 0) {
                    _exit(4);
                }
                p8 += w;
                left -= (size_t)w;
            }
            _exit(0);
        }
        close(p[1]);
        fds[k] = p[0];
    }
    for (int k = 0; k < n; k++) {
        struct tally t;
        size_t got = 0;
        while (got < sizeof(t)) {
            ssize_t r = read(fds[k], (char *)&t + got, sizeof(t) - got);
            if (r <= 0) {
                break;
            }
            got += (size_t)r;
        }
        close(fds[k]);
        int status = 0;
        waitpid(pids[k], &status, 0);
        if (got == sizeof(t) && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            add_tally(sum, &t);
        } else {
            died++;
        }
    }
    return died;
}

/* ---- per-image setup, the cmocka tests, main ------------------------------------- */

static int collect_used(void *data, lfs_block_t block)
{
    struct golden *g = data;
    if (block < g->block_count) {
        for (uint32_t i = 0; i < g->nused; i++) {
            if (g->used[i] == block) {
                return 0;
            }
        }
        g->used[g->nused++] = block;
    }
    return 0;
}

/* Loads the image, checks that the pristine image walks cleanly (else the
 * sweep would be testing nothing), and records the blocks it uses so
 * corruption can aim at them. */
static void setup_image(struct golden *g)
{
    reload_device(g);
    g->used = calloc(g->block_count, sizeof(*g->used));
    assert_non_null(g->used);

    static struct checked_dev dev;
    static struct walk w;
    dev = (struct checked_dev){.bd = g->bd, .block_size = g->block_size,
            .block_count = g->block_count, .read_size = g->read_size};
    memset(&w, 0, sizeof(w));
    w.g = g;
    w.dev = &dev;
    w.rng = 1;
    w.budget = UINT64_MAX;
    w.strict = true;
    w.content = scratch_content;
    alarm(HANG_SECONDS);
    run_walk(&w);
    alarm(0);
    if (dev.violation[0] || w.problem[0] || !w.mounted) {
        fail_msg("%s: the pristine image does not walk cleanly: %s", g->name,
                dev.violation[0] ? dev.violation
                : w.problem[0] ? w.problem : "mount failed");
    }
    if (w.entries != g->entries) {
        fail_msg("%s: the pristine walk found %lu entries, the manifest has %lu",
                g->name, (unsigned long)w.entries, (unsigned long)g->entries);
    }

    struct lfs_config cfg = w.cfg;
    lfs_t lfs;
    assert_int_equal(lfs_mount(&lfs, &cfg), 0);
    assert_int_equal(lfs_fs_traverse(&lfs, collect_used, g), 0);
    assert_int_equal(lfs_unmount(&lfs), 0);
    assert_true(g->nused >= 2);
}

static void sweep_image(void **state)
{
    struct golden *g = *state;
    setup_image(g);

    struct tally t;
    memset(&t, 0, sizeof(t));
    int died = run_workers(g, &t);
    printf("corrupt-sweep %s: %lu variants (seed 0x%llx), %lu mounted, %lu walked, "
           "%llu files read; mounted by kind:", g->name, (unsigned long)t.variants,
           (unsigned long long)sweep_seed, (unsigned long)t.mounted,
           (unsigned long)t.walked, (unsigned long long)t.files_read);
    for (int k = 0; k < K_COUNT; k++) {
        printf(" %s %lu/%lu", kind_names[k], (unsigned long)t.mounted_by_kind[k],
                (unsigned long)t.by_kind[k]);
    }
    printf("; %lu inconsistent\n", (unsigned long)t.failures);

    bd_emu_snapshot_free(g->pristine);
    bd_emu_destroy(g->bd);
    free(g->used);
    if (died) {
        fail_msg("%s: %d worker(s) crashed (the CRASH line above replays it)",
                g->name, died);
    }
    if (t.failures) {
        fail_msg("%s: %lu of %lu corrupted variants failed (first lines above)",
                g->name, (unsigned long)t.failures, (unsigned long)g->variants);
    }
    /* the sweep must reach the read paths, not just bounce off mount */
    if (t.variants >= 100 && t.mounted * 4 < t.variants) {
        fail_msg("%s: only %lu of %lu variants mounted: the sweep barely reaches "
                "the read paths", g->name, (unsigned long)t.mounted,
                (unsigned long)t.variants);
    }
}

/* One variant, verbosely, as a failure line asks. */
static int replay(struct golden *images, int n, const char *spec)
{
    char name[64];
    unsigned long long seed;
    unsigned long index;
    if (sscanf(spec, "%63[^:]:%lli:%lu", name, (long long *)&seed, &index) != 3) {
        fprintf(stderr, "corrupt-sweep: --replay wants IMAGE:SEED:INDEX\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(images[i].name, name) == 0) {
            struct golden *g = &images[i];
            sweep_seed = seed;
            setup_image(g);
            struct result r;
            run_variant(g, seed, (uint32_t)index, &r);
            printf("%s seed=0x%llx index=%lu: %s: %s\n  mounted: %s, entries "
                   "listed: %lu, files read: %lu\n  result: %s\n", g->name, seed,
                   index, kind_names[r.kind], r.desc, r.mounted ? "yes" : "no",
                   (unsigned long)r.entries, (unsigned long)r.files_read,
                   r.problem[0] ? r.problem : "consistent");
            return r.problem[0] ? 1 : 0;
        }
    }
    fprintf(stderr, "corrupt-sweep: no image %s in %s\n", name, IMAGES_DIR);
    return 2;
}

int main(int argc, char **argv)
{
    static struct golden images[MAX_IMAGES];
    uint32_t total = DEFAULT_VARIANTS;
    const char *only = NULL, *replay_spec = NULL;
    program = argv[0];
    for (int i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--seed") == 0 && has_value) {
            sweep_seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--variants") == 0 && has_value) {
            total = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--image") == 0 && has_value) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--replay") == 0 && has_value) {
            replay_spec = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--seed S] [--variants N] [--image NAME] "
                    "[--replay IMAGE:SEED:INDEX]\n", argv[0]);
            return 2;
        }
    }

    int n = find_images(images, replay_spec ? NULL : only);
    if (n <= 0) {
        fprintf(stderr, "corrupt-sweep: no golden images found in %s\n", IMAGES_DIR);
        return 1;
    }
    size_t biggest = 0, biggest_block = 0;
    for (int i = 0; i < n; i++) {
        size_t bytes = (size_t)images[i].block_size * images[i].block_count;
        biggest = bytes > biggest ? bytes : biggest;
        biggest_block = images[i].block_size > biggest_block
                ? images[i].block_size : biggest_block;
    }
    scratch_content = malloc(biggest + 1);
    scratch_a = malloc(biggest_block);
    scratch_b = malloc(biggest_block);
    if (!scratch_content || !scratch_a || !scratch_b) {
        fprintf(stderr, "corrupt-sweep: out of memory\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    install_crash_reporting();

    int status;
    if (replay_spec) {
        status = replay(images, n, replay_spec);
    } else {
        /* share the variants by cost: a walk costs about its entry count */
        double weight[MAX_IMAGES], sum = 0;
        for (int i = 0; i < n; i++) {
            weight[i] = 1.0 / (images[i].entries + WEIGHT_BASE);
            sum += weight[i];
        }
        struct CMUnitTest tests[MAX_IMAGES];
        uint32_t given = 0;
        for (int i = 0; i < n; i++) {
            images[i].variants = i == n - 1 ? total - given
                    : (uint32_t)(total * weight[i] / sum);
            given += images[i].variants;
            tests[i] = (struct CMUnitTest){images[i].name, sweep_image, NULL, NULL,
                    &images[i]};
        }
        status = _cmocka_run_group_tests("corrupt_sweep", tests, (size_t)n,
                NULL, NULL);
    }
    free(scratch_content);
    free(scratch_a);
    free(scratch_b);
    return status;
}
