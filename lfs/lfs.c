/*
 * lfs.c - the public littlefs v2 API: argument checks, locking, and
 * dispatch to the layer that does the work.
 *
 * Owns nothing else.  Null pointers and out-of-range arguments give
 * LFS_ERR_INVAL here so the layers below can assume them valid.  With
 * LFS_THREADSAFE every call holds the config's lock.
 *
 * Writes on a file not opened for writing, and reads on one not opened
 * for reading, give LFS_ERR_BADF.
 */
#include "lfs_internal.h"

/* LFS_LOCK takes the config's lock, and on a lock error returns that error
 * from the calling function.  Without LFS_THREADSAFE there is no lock and
 * no error to check: both macros compile to nothing. */
#ifdef LFS_THREADSAFE
#define LFS_LOCK(cfg) do { \
        int lockerr_ = (cfg)->lock ? (cfg)->lock(cfg) : 0; \
        if (lockerr_) { \
            return lockerr_; \
        } \
    } while (0)
#define LFS_UNLOCK(cfg) ((void)((cfg)->unlock ? (cfg)->unlock(cfg) : 0))
#else
#define LFS_LOCK(cfg) ((void)(cfg))
#define LFS_UNLOCK(cfg) ((void)(cfg))
#endif

int lfs_mount(lfs_t *lfs, const struct lfs_config *cfg) {
    if (!lfs || !cfg) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(cfg);
    int err = lfs_rawmount(lfs, cfg);
    LFS_UNLOCK(cfg);
    return err;
}

int lfs_unmount(lfs_t *lfs) {
    if (!lfs) {
        return LFS_ERR_INVAL;
    }
    const struct lfs_config *cfg = lfs->cfg;
    LFS_LOCK(cfg);
    int err = lfs_rawunmount(lfs);
    LFS_UNLOCK(cfg);
    return err;
}

int lfs_stat(lfs_t *lfs, const char *path, struct lfs_info *info) {
    if (!lfs || !path || !info) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_rawstat(lfs, path, info);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

lfs_ssize_t lfs_getattr(lfs_t *lfs, const char *path,
        uint8_t type, void *buffer, lfs_size_t size) {
    if (!lfs || !path || (!buffer && size)) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_ssize_t res = lfs_rawgetattr(lfs, path, type, buffer, size);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_file_open(lfs_t *lfs, lfs_file_t *file, const char *path, int flags) {
    return lfs_file_opencfg(lfs, file, path, flags, NULL);
}

int lfs_file_opencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *config) {
    if (!lfs || !file || !path) {
        return LFS_ERR_INVAL;
    }
    if (config && config->attr_count && !config->attrs) {
        return LFS_ERR_INVAL;
    }
    for (lfs_size_t i = 0; config && i < config->attr_count; i++) {
        if (!config->attrs[i].buffer && config->attrs[i].size) {
            return LFS_ERR_INVAL;
        }
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_file_rawopencfg(lfs, file, path, flags, config);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_file_close(lfs_t *lfs, lfs_file_t *file) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_file_rawclose(lfs, file);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

lfs_ssize_t lfs_file_read(lfs_t *lfs, lfs_file_t *file,
        void *buffer, lfs_size_t size) {
    if (!lfs || !file || (!buffer && size)) {
        return LFS_ERR_INVAL;
    }
    if (!(file->flags & LFS_O_RDONLY)) {
        return LFS_ERR_BADF;
    }
    LFS_LOCK(lfs->cfg);
    lfs_ssize_t res = lfs_file_rawread(lfs, file, buffer, size);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

lfs_soff_t lfs_file_seek(lfs_t *lfs, lfs_file_t *file,
        lfs_soff_t off, int whence) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_soff_t res = lfs_file_rawseek(lfs, file, off, whence);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

lfs_soff_t lfs_file_tell(lfs_t *lfs, lfs_file_t *file) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_soff_t res = lfs_file_rawtell(lfs, file);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_file_rewind(lfs_t *lfs, lfs_file_t *file) {
    lfs_soff_t res = lfs_file_seek(lfs, file, 0, LFS_SEEK_SET);
    return res < 0 ? (int)res : 0;
}

lfs_soff_t lfs_file_size(lfs_t *lfs, lfs_file_t *file) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_soff_t res = lfs_file_rawsize(lfs, file);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_dir_open(lfs_t *lfs, lfs_dir_t *dir, const char *path) {
    if (!lfs || !dir || !path) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_dir_rawopen(lfs, dir, path);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_dir_close(lfs_t *lfs, lfs_dir_t *dir) {
    if (!lfs || !dir) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_dir_rawclose(lfs, dir);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_dir_read(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info) {
    if (!lfs || !dir || !info) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_dir_rawread(lfs, dir, info);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_dir_seek(lfs_t *lfs, lfs_dir_t *dir, lfs_off_t off) {
    if (!lfs || !dir) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_dir_rawseek(lfs, dir, off);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

lfs_soff_t lfs_dir_tell(lfs_t *lfs, lfs_dir_t *dir) {
    if (!lfs || !dir) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_soff_t res = lfs_dir_rawtell(lfs, dir);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_dir_rewind(lfs_t *lfs, lfs_dir_t *dir) {
    if (!lfs || !dir) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_dir_rawrewind(lfs, dir);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_fs_stat(lfs_t *lfs, struct lfs_fsinfo *fsinfo) {
    if (!lfs || !fsinfo) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_fs_rawstat(lfs, fsinfo);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

lfs_ssize_t lfs_fs_size(lfs_t *lfs) {
    if (!lfs) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    lfs_ssize_t res = lfs_fs_rawsize(lfs);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_fs_traverse(lfs_t *lfs, int (*cb)(void *data, lfs_block_t block),
        void *data) {
    if (!lfs || !cb) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_fs_rawtraverse(lfs, cb, data, true);
    if (!err) {
        err = lfs_file_traverseopen(lfs, cb, data);
    }
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_format(lfs_t *lfs, const struct lfs_config *cfg) {
    if (!lfs || !cfg) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(cfg);
    int err = lfs_rawformat(lfs, cfg);
    LFS_UNLOCK(cfg);
    return err;
}

/* The calls taking (lfs, path) and returning an error code. */
#define LFS_PATHCALL(call) do { \
        if (!lfs || !path) { \
            return LFS_ERR_INVAL; \
        } \
        LFS_LOCK(lfs->cfg); \
        int err_ = (call); \
        LFS_UNLOCK(lfs->cfg); \
        return err_; \
    } while (0)

int lfs_mkdir(lfs_t *lfs, const char *path) {
    LFS_PATHCALL(lfs_rawmkdir(lfs, path));
}

int lfs_remove(lfs_t *lfs, const char *path) {
    LFS_PATHCALL(lfs_rawremove(lfs, path));
}

int lfs_rename(lfs_t *lfs, const char *path, const char *newpath) {
    if (!newpath) {
        return LFS_ERR_INVAL;
    }
    LFS_PATHCALL(lfs_rawrename(lfs, path, newpath));
}

int lfs_setattr(lfs_t *lfs, const char *path,
        uint8_t type, const void *buffer, lfs_size_t size) {
    if (!buffer && size) {
        return LFS_ERR_INVAL;
    }
    LFS_PATHCALL(lfs_rawsetattr(lfs, path, type, buffer, size));
}

int lfs_removeattr(lfs_t *lfs, const char *path, uint8_t type) {
    LFS_PATHCALL(lfs_rawremoveattr(lfs, path, type));
}

lfs_ssize_t lfs_file_write(lfs_t *lfs, lfs_file_t *file,
        const void *buffer, lfs_size_t size) {
    if (!lfs || !file || (!buffer && size)) {
        return LFS_ERR_INVAL;
    }
    if (!(file->flags & LFS_O_WRONLY)) {
        return LFS_ERR_BADF;
    }
    LFS_LOCK(lfs->cfg);
    lfs_ssize_t res = lfs_file_rawwrite(lfs, file, buffer, size);
    LFS_UNLOCK(lfs->cfg);
    return res;
}

int lfs_file_sync(lfs_t *lfs, lfs_file_t *file) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    LFS_LOCK(lfs->cfg);
    int err = (file->flags & LFS_O_WRONLY) ? lfs_file_rawsync(lfs, file)
            : lfs_file_flush(lfs, file);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

int lfs_file_truncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size) {
    if (!lfs || !file) {
        return LFS_ERR_INVAL;
    }
    if (!(file->flags & LFS_O_WRONLY)) {
        return LFS_ERR_BADF;
    }
    LFS_LOCK(lfs->cfg);
    int err = lfs_file_rawtruncate(lfs, file, size);
    LFS_UNLOCK(lfs->cfg);
    return err;
}

/* The calls taking only lfs. */
#define LFS_FSCALL(call) do { \
        if (!lfs) { \
            return LFS_ERR_INVAL; \
        } \
        LFS_LOCK(lfs->cfg); \
        int err_ = (call); \
        LFS_UNLOCK(lfs->cfg); \
        return err_; \
    } while (0)

int lfs_fs_mkconsistent(lfs_t *lfs) {
    LFS_FSCALL(lfs_fs_rawmkconsistent(lfs));
}

int lfs_fs_gc(lfs_t *lfs) {
    LFS_FSCALL(lfs_fs_rawgc(lfs));
}

int lfs_fs_grow(lfs_t *lfs, lfs_size_t block_count) {
    LFS_FSCALL(lfs_fs_rawgrow(lfs, block_count));
}
