/*
 * api.c - the wrappers of torture_api.h: each calls the real public
 * function between an operation's begin and end, reported to the observer.
 *
 * Only calls that may write are wrapped (reads never change the durable
 * state; a read that flushes a file's cache is wrapped). Writes made
 * outside any wrapped call still reach the oracle, as a span of their own
 * between two boundaries. One observer per process.
 *
 * Files opened for writing are mapped to their paths (normalised, and
 * moved along by renames and forgotten by removes while open), so a sync
 * or close that returns 0 can be checked against the durable state.
 */
#define TORTURE_API_IMPLEMENTATION
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "torture_api.h"

static const struct torture_api_observer *observer;
static uint8_t attr_types[32];

struct open_file {
    const lfs_file_t *file;
    char *path;                 /* NULL: removed while open */
    bool erred;                 /* a write, truncate or sync failed: like
                                 * littlefs, later syncs promise nothing */
};

static struct open_file *files;
static size_t nfiles, files_cap;

void torture_api_observe(const struct torture_api_observer *obs) {
    observer = obs;
}

const uint8_t *torture_api_attr_types(void) {
    return attr_types;
}

void torture_api_reset(void) {
    memset(attr_types, 0, sizeof(attr_types));
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].path);
    }
    free(files);
    files = NULL;
    nfiles = files_cap = 0;
}

/* "a//b/./c/../d" -> "/a/b/d"; NULL when out of memory. */
static char *normalise(const char *path) {
    size_t n = strlen(path);
    char *out = malloc(n + 2);
    if (!out) {
        return NULL;
    }
    size_t used = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/') {
            p++;
        }
        const char *q = p;
        while (*q && *q != '/') {
            q++;
        }
        size_t len = (size_t)(q - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (used > 0 && out[--used] != '/') {
            }
        } else if (len && !(len == 1 && p[0] == '.')) {
            out[used++] = '/';
            memcpy(out + used, p, len);
            used += len;
        }
        p = q;
    }
    if (!used) {
        out[used++] = '/';
    }
    out[used] = '\0';
    return out;
}

static struct open_file *find_file(const lfs_file_t *file) {
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i].file == file) {
            return &files[i];
        }
    }
    return NULL;
}

static void forget_file(const lfs_file_t *file) {
    struct open_file *f = find_file(file);
    if (f) {
        free(f->path);
        *f = files[--nfiles];
    }
}

/* Maps an opened file to its path if it writes; without memory the file
 * goes unchecked (never wrongly failed). */
static void track_file(const lfs_file_t *file, const char *path, int flags) {
    forget_file(file);
    if ((flags & LFS_O_RDWR) == LFS_O_RDONLY) {
        return;
    }
    if (nfiles == files_cap) {
        size_t cap = files_cap ? 2 * files_cap : 8;
        struct open_file *f = realloc(files, cap * sizeof(*f));
        if (!f) {
            return;
        }
        files = f;
        files_cap = cap;
    }
    char *p = normalise(path);
    if (p) {
        files[nfiles++] = (struct open_file){file, p, false};
    }
}

/* A successful rename moves open files at or below oldpath. */
static void rename_files(const char *oldpath, const char *newpath) {
    char *from = normalise(oldpath), *to = normalise(newpath);
    size_t flen = from ? strlen(from) : 0;
    for (size_t i = 0; from && to && i < nfiles; i++) {
        char *p = files[i].path;
        if (!p) {
            continue;
        }
        if (strcmp(p, to) == 0 || (strncmp(p, to, strlen(to)) == 0 && p[strlen(to)] == '/')) {
            free(p);            /* replaced by the rename */
            files[i].path = NULL;
        } else if (strncmp(p, from, flen) == 0 && (p[flen] == '\0' || p[flen] == '/')) {
            size_t tlen = strlen(to), rest = strlen(p + flen);
            char *q = malloc(tlen + rest + 1);
            if (q) {
                memcpy(q, to, tlen);
                memcpy(q + tlen, p + flen, rest + 1);
            }
            free(p);
            files[i].path = q;
        }
    }
    free(from);
    free(to);
}

static void remove_files(const char *path) {
    char *p = normalise(path);
    for (size_t i = 0; p && i < nfiles; i++) {
        if (files[i].path && strcmp(files[i].path, p) == 0) {
            free(files[i].path);
            files[i].path = NULL;
        }
    }
    free(p);
}

static void note_error(const lfs_file_t *file, long r) {
    struct open_file *f = find_file(file);
    if (f && r < 0) {
        f->erred = true;
    }
}

static void promise(const char *name, lfs_t *lfs, lfs_file_t *file) {
    struct open_file *f = find_file(file);
    if (f && f->path && !f->erred && observer && observer->promise) {
        lfs_soff_t size = lfs_file_size(lfs, file);
        if (size >= 0) {
            observer->promise(observer->ctx, name, f->path, size);
        }
    }
}

static void note_attr(uint8_t type) {
    attr_types[type / 8] |= (uint8_t)(1u << (type % 8));
}

static void begin(const char *name) {
    if (observer && observer->begin) {
        observer->begin(observer->ctx, name);
    }
}

static void end(const char *name) {
    if (observer && observer->end) {
        observer->end(observer->ctx, name);
    }
}

#define WRAP(type, name, call) do { \
        begin(#name); \
        type r_ = call; \
        end(#name); \
        return r_; \
    } while (0)

int torture_api_lfs_format(lfs_t *lfs, const struct lfs_config *cfg) {
    WRAP(int, lfs_format, lfs_format(lfs, cfg));
}

int torture_api_lfs_mount(lfs_t *lfs, const struct lfs_config *cfg) {
    WRAP(int, lfs_mount, lfs_mount(lfs, cfg));
}

int torture_api_lfs_unmount(lfs_t *lfs) {
    WRAP(int, lfs_unmount, lfs_unmount(lfs));
}

int torture_api_lfs_remove(lfs_t *lfs, const char *path) {
    begin("lfs_remove");
    int r = lfs_remove(lfs, path);
    if (r == 0) {
        remove_files(path);
    }
    end("lfs_remove");
    return r;
}

int torture_api_lfs_rename(lfs_t *lfs, const char *oldpath, const char *newpath) {
    begin("lfs_rename");
    int r = lfs_rename(lfs, oldpath, newpath);
    if (r == 0) {
        rename_files(oldpath, newpath);
    }
    end("lfs_rename");
    return r;
}

int torture_api_lfs_setattr(lfs_t *lfs, const char *path, uint8_t type,
        const void *buffer, lfs_size_t size) {
    note_attr(type);
    WRAP(int, lfs_setattr, lfs_setattr(lfs, path, type, buffer, size));
}

int torture_api_lfs_removeattr(lfs_t *lfs, const char *path, uint8_t type) {
    note_attr(type);
    WRAP(int, lfs_removeattr, lfs_removeattr(lfs, path, type));
}

int torture_api_lfs_file_open(lfs_t *lfs, lfs_file_t *file, const char *path, int flags) {
    begin("lfs_file_open");
    int r = lfs_file_open(lfs, file, path, flags);
    if (r == 0) {
        track_file(file, path, flags);
    }
    end("lfs_file_open");
    return r;
}

int torture_api_lfs_file_opencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *config) {
    if (config && config->attrs) {
        for (lfs_size_t i = 0; i < config->attr_count; i++) {
            note_attr(config->attrs[i].type);
        }
    }
    begin("lfs_file_opencfg");
    int r = lfs_file_opencfg(lfs, file, path, flags, config);
    if (r == 0) {
        track_file(file, path, flags);
    }
    end("lfs_file_opencfg");
    return r;
}

int torture_api_lfs_file_close(lfs_t *lfs, lfs_file_t *file) {
    begin("lfs_file_close");
    /* the size the close commits: the handle's, taken before it goes */
    struct open_file *f = find_file(file);
    lfs_soff_t size = f && !f->erred ? lfs_file_size(lfs, file) : -1;
    int r = lfs_file_close(lfs, file);
    if (r == 0 && size >= 0 && f->path && observer && observer->promise) {
        observer->promise(observer->ctx, "lfs_file_close", f->path, size);
    }
    forget_file(file);
    end("lfs_file_close");
    return r;
}

int torture_api_lfs_file_sync(lfs_t *lfs, lfs_file_t *file) {
    begin("lfs_file_sync");
    int r = lfs_file_sync(lfs, file);
    if (r == 0) {
        promise("lfs_file_sync", lfs, file);
    }
    note_error(file, r);
    end("lfs_file_sync");
    return r;
}

lfs_ssize_t torture_api_lfs_file_read(lfs_t *lfs, lfs_file_t *file, void *buffer,
        lfs_size_t size) {
    WRAP(lfs_ssize_t, lfs_file_read, lfs_file_read(lfs, file, buffer, size));
}

lfs_ssize_t torture_api_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size) {
    begin("lfs_file_write");
    lfs_ssize_t r = lfs_file_write(lfs, file, buffer, size);
    note_error(file, r);
    end("lfs_file_write");
    return r;
}

lfs_soff_t torture_api_lfs_file_seek(lfs_t *lfs, lfs_file_t *file, lfs_soff_t off,
        int whence) {
    WRAP(lfs_soff_t, lfs_file_seek, lfs_file_seek(lfs, file, off, whence));
}

int torture_api_lfs_file_truncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size) {
    begin("lfs_file_truncate");
    int r = lfs_file_truncate(lfs, file, size);
    note_error(file, r);
    end("lfs_file_truncate");
    return r;
}

int torture_api_lfs_file_rewind(lfs_t *lfs, lfs_file_t *file) {
    WRAP(int, lfs_file_rewind, lfs_file_rewind(lfs, file));
}

int torture_api_lfs_mkdir(lfs_t *lfs, const char *path) {
    WRAP(int, lfs_mkdir, lfs_mkdir(lfs, path));
}

int torture_api_lfs_fs_mkconsistent(lfs_t *lfs) {
    WRAP(int, lfs_fs_mkconsistent, lfs_fs_mkconsistent(lfs));
}

int torture_api_lfs_fs_gc(lfs_t *lfs) {
    WRAP(int, lfs_fs_gc, lfs_fs_gc(lfs));
}

int torture_api_lfs_fs_grow(lfs_t *lfs, lfs_size_t block_count) {
    WRAP(int, lfs_fs_grow, lfs_fs_grow(lfs, block_count));
}
