/*
 * torture_api.h - every public call a case makes into the filesystem goes
 * through a harness wrapper, so the oracle sees operations without any
 * annotation by the case author.
 *
 * The generated suite sources include this after lfs.h: each public
 * function name becomes a macro for its torture_api_ wrapper, which calls
 * the real function between two operation boundaries. Harness code never
 * includes it and calls the real functions. With no observer registered
 * the wrappers are plain pass-throughs.
 */
#ifndef TORTURE_API_H
#define TORTURE_API_H

#include <stdint.h>
#include "lfs.h"

/* Told about each boundary between operations: `name` is the call that
 * starts (begin) or ended (end), for messages. `promise` comes just before
 * the end of a lfs_file_sync or lfs_file_close that returned 0 on a file
 * opened for writing: the file at `path` (absolute, normalised, following
 * renames made while it was open) must now be durable with `size` bytes.
 * May be NULL. */
struct torture_api_observer {
    void *ctx;
    void (*begin)(void *ctx, const char *name);
    void (*end)(void *ctx, const char *name);
    void (*promise)(void *ctx, const char *name, const char *path, lfs_soff_t size);
};

/* Registers the observer of the running case (NULL: none). */
void torture_api_observe(const struct torture_api_observer *obs);
/* Attribute types (0..255) the case has set, removed or passed to
 * lfs_file_opencfg since the last reset: a bitmap of 256 bits. */
const uint8_t *torture_api_attr_types(void);
/* Forgets the attribute types and the open files. */
void torture_api_reset(void);

int torture_api_lfs_format(lfs_t *lfs, const struct lfs_config *cfg);
int torture_api_lfs_mount(lfs_t *lfs, const struct lfs_config *cfg);
int torture_api_lfs_unmount(lfs_t *lfs);
int torture_api_lfs_remove(lfs_t *lfs, const char *path);
int torture_api_lfs_rename(lfs_t *lfs, const char *oldpath, const char *newpath);
int torture_api_lfs_setattr(lfs_t *lfs, const char *path, uint8_t type,
        const void *buffer, lfs_size_t size);
int torture_api_lfs_removeattr(lfs_t *lfs, const char *path, uint8_t type);
int torture_api_lfs_file_open(lfs_t *lfs, lfs_file_t *file, const char *path, int flags);
int torture_api_lfs_file_opencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *config);
int torture_api_lfs_file_close(lfs_t *lfs, lfs_file_t *file);
int torture_api_lfs_file_sync(lfs_t *lfs, lfs_file_t *file);
lfs_ssize_t torture_api_lfs_file_read(lfs_t *lfs, lfs_file_t *file, void *buffer,
        lfs_size_t size);
lfs_ssize_t torture_api_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size);
lfs_soff_t torture_api_lfs_file_seek(lfs_t *lfs, lfs_file_t *file, lfs_soff_t off,
        int whence);
int torture_api_lfs_file_truncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size);
int torture_api_lfs_file_rewind(lfs_t *lfs, lfs_file_t *file);
int torture_api_lfs_mkdir(lfs_t *lfs, const char *path);
int torture_api_lfs_fs_mkconsistent(lfs_t *lfs);
int torture_api_lfs_fs_gc(lfs_t *lfs);
int torture_api_lfs_fs_grow(lfs_t *lfs, lfs_size_t block_count);

#ifndef TORTURE_API_IMPLEMENTATION
#define lfs_format(...)          torture_api_lfs_format(__VA_ARGS__)
#define lfs_mount(...)           torture_api_lfs_mount(__VA_ARGS__)
#define lfs_unmount(...)         torture_api_lfs_unmount(__VA_ARGS__)
#define lfs_remove(...)          torture_api_lfs_remove(__VA_ARGS__)
#define lfs_rename(...)          torture_api_lfs_rename(__VA_ARGS__)
#define lfs_setattr(...)         torture_api_lfs_setattr(__VA_ARGS__)
#define lfs_removeattr(...)      torture_api_lfs_removeattr(__VA_ARGS__)
#define lfs_file_open(...)       torture_api_lfs_file_open(__VA_ARGS__)
#define lfs_file_opencfg(...)    torture_api_lfs_file_opencfg(__VA_ARGS__)
#define lfs_file_close(...)      torture_api_lfs_file_close(__VA_ARGS__)
#define lfs_file_sync(...)       torture_api_lfs_file_sync(__VA_ARGS__)
#define lfs_file_read(...)       torture_api_lfs_file_read(__VA_ARGS__)
#define lfs_file_write(...)      torture_api_lfs_file_write(__VA_ARGS__)
#define lfs_file_seek(...)       torture_api_lfs_file_seek(__VA_ARGS__)
#define lfs_file_truncate(...)   torture_api_lfs_file_truncate(__VA_ARGS__)
#define lfs_file_rewind(...)     torture_api_lfs_file_rewind(__VA_ARGS__)
#define lfs_mkdir(...)           torture_api_lfs_mkdir(__VA_ARGS__)
#define lfs_fs_mkconsistent(...) torture_api_lfs_fs_mkconsistent(__VA_ARGS__)
#define lfs_fs_gc(...)           torture_api_lfs_fs_gc(__VA_ARGS__)
#define lfs_fs_grow(...)         torture_api_lfs_fs_grow(__VA_ARGS__)
#endif

#endif
