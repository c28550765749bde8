/*
 * api.c - the wrappers of torture_api.h: each calls the real public
 * function between an operation's begin and end, reported to the observer.
 *
 * Only calls that may write are wrapped (reads never change the durable
 * state; a read that flushes a file's cache is wrapped). Writes made
 * outside any wrapped call still reach the oracle, as a span of their own
 * between two boundaries. One observer per process.
 */
#define TORTURE_API_IMPLEMENTATION
#include <string.h>

#include "torture_api.h"

static const struct torture_api_observer *observer;
static uint8_t attr_types[32];

void torture_api_observe(const struct torture_api_observer *obs) {
    observer = obs;
}

const uint8_t *torture_api_attr_types(void) {
    return attr_types;
}

void torture_api_reset(void) {
    memset(attr_types, 0, sizeof(attr_types));
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
    WRAP(int, lfs_remove, lfs_remove(lfs, path));
}

int torture_api_lfs_rename(lfs_t *lfs, const char *oldpath, const char *newpath) {
    WRAP(int, lfs_rename, lfs_rename(lfs, oldpath, newpath));
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
    WRAP(int, lfs_file_open, lfs_file_open(lfs, file, path, flags));
}

int torture_api_lfs_file_opencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *config) {
    if (config && config->attrs) {
        for (lfs_size_t i = 0; i < config->attr_count; i++) {
            note_attr(config->attrs[i].type);
        }
    }
    WRAP(int, lfs_file_opencfg, lfs_file_opencfg(lfs, file, path, flags, config));
}

int torture_api_lfs_file_close(lfs_t *lfs, lfs_file_t *file) {
    WRAP(int, lfs_file_close, lfs_file_close(lfs, file));
}

int torture_api_lfs_file_sync(lfs_t *lfs, lfs_file_t *file) {
    WRAP(int, lfs_file_sync, lfs_file_sync(lfs, file));
}

lfs_ssize_t torture_api_lfs_file_read(lfs_t *lfs, lfs_file_t *file, void *buffer,
        lfs_size_t size) {
    WRAP(lfs_ssize_t, lfs_file_read, lfs_file_read(lfs, file, buffer, size));
}

lfs_ssize_t torture_api_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size) {
    WRAP(lfs_ssize_t, lfs_file_write, lfs_file_write(lfs, file, buffer, size));
}

lfs_soff_t torture_api_lfs_file_seek(lfs_t *lfs, lfs_file_t *file, lfs_soff_t off,
        int whence) {
    WRAP(lfs_soff_t, lfs_file_seek, lfs_file_seek(lfs, file, off, whence));
}

int torture_api_lfs_file_truncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size) {
    WRAP(int, lfs_file_truncate, lfs_file_truncate(lfs, file, size));
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
