/*
 * kv_write.c - the calls that bind a value: kv_set, kv_set_partial and
 * kv_allocate. An existing value is rewritten in place, its data and
 * timestamp landing in the one commit of the file's sync (copy-on-write:
 * old or new after a cut). A new value is written under the reserved temp
 * name of its directory and renamed over the key. Assumes the core skips
 * the sync of a file whose write failed (littlefs marks it errored), so an
 * error leaves the old value.
 */
#include "kv_internal.h"

enum write_mode { WRITE_SET, WRITE_PARTIAL, WRITE_ALLOCATE };

static int write_all(kv_t *kv, lfs_file_t *f, enum write_mode mode,
        lfs_off_t offset, const void *data, lfs_size_t len) {
    if (mode == WRITE_ALLOCATE) {
        return lfs_file_truncate(&kv->lfs, f, len);
    }
    if (mode == WRITE_PARTIAL && len == 0) {
        /* an empty write past the end still extends the value to offset */
        lfs_soff_t size = lfs_file_size(&kv->lfs, f);
        if (size < 0) {
            return (int)size;
        }
        return (lfs_off_t)size < offset ? lfs_file_truncate(&kv->lfs, f, offset) : 0;
    }
    if (mode == WRITE_PARTIAL) {
        lfs_soff_t pos = lfs_file_seek(&kv->lfs, f, (lfs_soff_t)offset, LFS_SEEK_SET);
        if (pos < 0) {
            return (int)pos;
        }
    }
    lfs_size_t done = 0;
    while (done < len) {
        lfs_ssize_t n = lfs_file_write(&kv->lfs, f, (const uint8_t *)data + done, len - done);
        if (n <= 0) {
            return n < 0 ? (int)n : LFS_ERR_IO;
        }
        done += (lfs_size_t)n;
    }
    return 0;
}

/* Opens path, writes, and closes (the close commits unless writing failed). */
static int write_file(kv_t *kv, const char *path, int flags, enum write_mode mode,
        lfs_off_t offset, const void *data, lfs_size_t len, const struct kv_time *t) {
    lfs_file_t f;
    int err = kv_file_open(kv, &f, path, flags, t);
    if (err) {
        return err;
    }
    err = write_all(kv, &f, mode, offset, data, len);
    int cerr = lfs_file_close(&kv->lfs, &f);
    return err ? err : cerr;
}

static int write_value(kv_t *kv, const char *key, enum write_mode mode,
        lfs_off_t offset, const void *data, lfs_size_t len, const struct kv_time *t) {
    int err = kv_key_parse(kv, key, kv->key);
    if (err) {
        return err;
    }
    if (offset > LFS_FILE_MAX || len > LFS_FILE_MAX - offset) {
        return LFS_ERR_FBIG;
    }
    enum kv_kind kind;
    err = kv_kind_of(kv, kv->key, &kind, NULL);
    if (err) {
        return err;
    }
    if (kind == KV_DICTIONARY) {
        return mode == WRITE_ALLOCATE ? LFS_ERR_EXIST : LFS_ERR_ISDIR;
    }
    if (kind == KV_VALUE && mode == WRITE_ALLOCATE) {
        return LFS_ERR_EXIST;
    }
    struct kv_time now;
    if (!t) {
        err = kv_now(kv, &now);
        if (err) {
            return err;
        }
        t = &now;
    }
    if (kind == KV_VALUE) {
        err = kv_drop_temp(kv, kv->key);
        if (err) {
            return err;
        }
        int flags = LFS_O_WRONLY | (mode == WRITE_SET ? LFS_O_TRUNC : 0);
        return write_file(kv, kv->key, flags, mode, offset, data, len, t);
    }
    err = kv_make_parents(kv, kv->key);
    if (!err) {
        err = kv_drop_temp(kv, kv->key);
    }
    if (err) {
        return err;
    }
    err = write_file(kv, kv->temp, LFS_O_WRONLY | LFS_O_CREAT | LFS_O_EXCL,
            mode, offset, data, len, t);
    if (!err) {
        err = lfs_rename(&kv->lfs, kv->temp, kv->key);
    }
    if (err) {
        /* best effort: the temp is invisible, and the next write drops it */
        lfs_remove(&kv->lfs, kv->temp);
    }
    return err;
}

int kv_set(kv_t *kv, const char *key, const void *data, lfs_size_t len) {
    return write_value(kv, key, WRITE_SET, 0, data, len, NULL);
}

int kv_set_partial(kv_t *kv, const char *key, lfs_off_t offset,
        const void *data, lfs_size_t len) {
    return write_value(kv, key, WRITE_PARTIAL, offset, data, len, NULL);
}

int kv_allocate(kv_t *kv, const char *key, lfs_size_t size, const struct kv_time *t) {
    return write_value(kv, key, WRITE_ALLOCATE, 0, NULL, size, t);
}
