/*
 * app_bytes.c - counts the application's bytes: every byte lfs_file_write
 * reports written, from any caller outside the core.
 *
 * build/wear is linked with -Wl,--wrap=lfs_file_write, so calls from the
 * cases (and from libraries above the core) land here; calls inside the
 * core's own translation unit are not wrapped and not counted.
 */
#include "lfs.h"
#include "wear.h"

lfs_ssize_t __real_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size);
lfs_ssize_t __wrap_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size);

lfs_ssize_t __wrap_lfs_file_write(lfs_t *lfs, lfs_file_t *file, const void *buffer,
        lfs_size_t size) {
    lfs_ssize_t n = __real_lfs_file_write(lfs, file, buffer, size);
    if (n > 0) {
        wear_app_bytes((uint64_t)n);
    }
    return n;
}
