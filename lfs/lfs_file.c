/*
 * lfs_file.c - files: opening, reading and seeking.
 *
 * A file's data is either inline (the data of its INLINESTRUCT tag, in the
 * metadata pair) or a CTZ skip-list (a CTZSTRUCT tag: head block, size).
 * Each open file has its own cache of cache_size bytes, from the file
 * config or allocated at open and freed at close, so reading a file does
 * not evict the metadata cache.  Reads locate a position with one O(log n)
 * skip-list search, then read blocks in order.
 *
 * Creating, truncating and writing are lfs_file_write.c's: open calls it
 * for the entry, and reads and seeks flush unwritten data through it
 * first.  Open files are on lfs->mlist so commits keep them current.
 *
 * Assumes lfs_dir.c for lookups, the mdir layer for the entry's tags and
 * inline data, lfs_ctz.c for skip-lists.  A struct that cannot be on this
 * disk (size over file_max, a skip-list longer than the disk) is
 * LFS_ERR_CORRUPT at open.
 */
#include "lfs_internal.h"

static const struct lfs_file_config lfs_file_defaultcfg = {0};

int lfs_file_rawopencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *cfg) {
    if (!(flags & LFS_O_RDWR) || (flags & ~(LFS_O_RDWR | LFS_O_CREAT
            | LFS_O_EXCL | LFS_O_TRUNC | LFS_O_APPEND))) {
        return LFS_ERR_INVAL;
    }
    // repair what a power loss left before the first write
    if (flags & LFS_O_WRONLY) {
        int err = lfs_fs_forceconsistency(lfs);
        if (err) {
            return err;
        }
    }

    file->cfg = cfg ? cfg : &lfs_file_defaultcfg;
    file->flags = (uint32_t)flags;
    file->pos = 0;
    file->block = LFS_BLOCK_NULL;
    file->off = 0;
    file->cache.buffer = NULL;

    lfs_stag_t tag = lfs_dir_lookup(lfs, &file->m, &path, &file->id);
    // creates, truncates, or checks the entry (lfs_file_write.c)
    int empty = lfs_file_opencreate(lfs, file, tag, path);
    if (empty < 0) {
        return empty;
    }

    uint8_t raw[8];
    tag = empty ? (lfs_stag_t)lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0)
            : lfs_mdir_get(lfs, &file->m, lfs_mktag(0x700, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_STRUCT, file->id, sizeof(raw)), raw);
    if (tag < 0) {
        return (int)tag;
    }
    if (lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_INLINESTRUCT) {
        file->ctz.head = LFS_BLOCK_INLINE;
        file->ctz.size = lfs_tag_size((lfs_tag_t)tag);
        file->flags |= LFS_F_INLINE;
    } else if (lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_CTZSTRUCT) {
        file->ctz.head = lfs_get_le32(&raw[0]);
        file->ctz.size = lfs_get_le32(&raw[4]);
        if (file->ctz.size > lfs->file_max) {
            return LFS_ERR_CORRUPT;
        }
        int err = lfs_ctz_check(lfs, file->ctz.head, file->ctz.size);
        if (err) {
            return err;
        }
    } else {
        return LFS_ERR_CORRUPT;
    }

    // custom attributes asked for at open
    for (lfs_size_t i = 0; i < file->cfg->attr_count; i++) {
        const struct lfs_attr *attr = &file->cfg->attrs[i];
        if (flags & LFS_O_RDONLY) {
            lfs_stag_t res = lfs_mdir_get(lfs, &file->m,
                    lfs_mktag(0x7ff, 0x3ff, 0),
                    lfs_mktag(LFS_TYPE_USERATTR + attr->type, file->id,
                        lfs_min(attr->size, lfs->attr_max)),
                    attr->buffer);
            if (res < 0 && res != LFS_ERR_NOENT) {
                return (int)res;
            }
        }
        // a writer stores its attributes at every sync
        if (flags & LFS_O_WRONLY) {
            if (attr->size > lfs->attr_max) {
                return LFS_ERR_NOSPC;
            }
            file->flags |= LFS_F_DIRTY;
        }
    }

    if (file->cfg->buffer) {
        file->cache.buffer = file->cfg->buffer;
    } else {
        file->cache.buffer = lfs_malloc(lfs->cfg->cache_size);
        // reached only when lfs_malloc fails (no test injects that)
        if (!file->cache.buffer) {
            return LFS_ERR_NOMEM;
        }
    }
    lfs_cache_zero(lfs, &file->cache);

    // an inline file that fits is kept whole in the cache, where writes
    // change it until sync
    if ((file->flags & LFS_F_INLINE)
            && file->ctz.size <= lfs->cfg->cache_size) {
        if (file->ctz.size > 0) {
            lfs_stag_t res = lfs_mdir_getslice(lfs, &file->m,
                    lfs_mktag(0x7ff, 0x3ff, 0),
                    lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0),
                    0, file->cache.buffer, file->ctz.size);
            if (res < 0) {
                if (!file->cfg->buffer) {
                    lfs_free(file->cache.buffer);
                }
                file->cache.buffer = NULL;
                return (int)res;
            }
        }
        file->cache.block = LFS_BLOCK_INLINE;
        file->cache.off = 0;
        file->cache.size = lfs->cfg->cache_size;
    }

    file->type = LFS_TYPE_REG;
    lfs_mlist_append(lfs, (lfs_mlist_t *)file);
    return 0;
}

int lfs_file_rawclose(lfs_t *lfs, lfs_file_t *file) {
    int err = (file->flags & LFS_O_WRONLY) ? lfs_file_rawsync(lfs, file) : 0;
    lfs_mlist_remove(lfs, (lfs_mlist_t *)file);
    if (!file->cfg->buffer) {
        lfs_free(file->cache.buffer);
    }
    file->cache.buffer = NULL;
    return err;
}

lfs_ssize_t lfs_file_rawread(lfs_t *lfs, lfs_file_t *file,
        void *buffer, lfs_size_t size) {
    uint8_t *data = buffer;
    const lfs_size_t block_size = lfs->cfg->block_size;

    // unwritten data first goes to the disk (or, inline, stays cached)
    if (file->flags & LFS_F_WRITING) {
        int err = lfs_file_flush(lfs, file);
        if (err) {
            return err;
        }
    }
    if (file->pos >= file->ctz.size) {
        return 0;
    }
    size = lfs_min(size, file->ctz.size - file->pos);
    lfs_size_t nsize = size;

    while (nsize > 0) {
        if (!(file->flags & LFS_F_READING) || file->off == block_size) {
            if (file->flags & LFS_F_INLINE) {
                file->block = LFS_BLOCK_INLINE;
                file->off = file->pos;
            } else {
                int err = lfs_ctz_find(lfs, &file->cache,
                        file->ctz.head, file->ctz.size, file->pos,
                        &file->block, &file->off);
                if (err) {
                    return err;
                }
            }
            file->flags |= LFS_F_READING;
        }

        lfs_size_t diff = lfs_min(nsize, block_size - file->off);
        int err;
        if (file->flags & LFS_F_INLINE) {
            err = lfs_mdir_getread(lfs, &file->m, &file->cache, block_size,
                    lfs_mktag(0x7ff, 0x3ff, 0),
                    lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0),
                    file->off, data, diff);
        } else {
            err = lfs_bd_read(lfs, NULL, &file->cache, block_size,
                    file->block, file->off, data, diff);
        }
        if (err) {
            return err;
        }

        file->pos += diff;
        file->off += diff;
        data += diff;
        nsize -= diff;
    }

    return (lfs_ssize_t)size;
}

lfs_soff_t lfs_file_rawseek(lfs_t *lfs, lfs_file_t *file,
        lfs_soff_t off, int whence) {
    lfs_off_t npos;
    if (whence == LFS_SEEK_SET) {
        npos = (lfs_off_t)off;
    } else if (whence == LFS_SEEK_CUR) {
        npos = file->pos + (lfs_off_t)off;
    } else if (whence == LFS_SEEK_END) {
        npos = (lfs_off_t)lfs_file_rawsize(lfs, file) + (lfs_off_t)off;
    } else {
        return LFS_ERR_INVAL;
    }

    if (npos > lfs->file_max) {
        return LFS_ERR_INVAL;
    }
    if (npos == file->pos) {
        return (lfs_soff_t)npos;
    }

    // still inside the same block and the cached window: no new search
    if ((file->flags & LFS_F_READING) && !(file->flags & LFS_F_INLINE)
            && file->off != lfs->cfg->block_size) {
        lfs_off_t ooff = file->pos;
        lfs_off_t oindex = lfs_ctz_index(lfs->cfg->block_size, &ooff);
        lfs_off_t noff = npos;
        lfs_off_t nindex = lfs_ctz_index(lfs->cfg->block_size, &noff);
        if (oindex == nindex && file->cache.block == file->block
                && noff >= file->cache.off
                && noff < file->cache.off + file->cache.size) {
            file->pos = npos;
            file->off = noff;
            return (lfs_soff_t)npos;
        }
    }

    int err = lfs_file_flush(lfs, file);
    if (err) {
        return err;
    }
    file->pos = npos;
    return (lfs_soff_t)npos;
}

lfs_soff_t lfs_file_rawtell(lfs_t *lfs, lfs_file_t *file) {
    (void)lfs;
    return (lfs_soff_t)file->pos;
}

lfs_soff_t lfs_file_rawsize(lfs_t *lfs, lfs_file_t *file) {
    (void)lfs;
    if (file->flags & LFS_F_WRITING) {
        return (lfs_soff_t)lfs_max(file->pos, file->ctz.size);
    }
    return (lfs_soff_t)file->ctz.size;
}
