/*
 * lfs_file_write.c - writing files: creating them at open, writing,
 * truncating, and syncing their new state into the metadata.
 *
 * A file is written through its own cache.  Small files stay inline (their
 * data in the cache, committed as the INLINESTRUCT's data at sync) up to
 * lfs->inline_max; past that the data moves to a CTZ skip-list
 * ("outlining").  Appending continues the skip-list; writing elsewhere
 * copies the block holding the write position into a new block (its
 * first bytes and pointers), writes on, and at flush copies the rest of
 * the old data after the written range, so every block after the write
 * position is new and the old list stays intact until the sync commits
 * the new head and size.  File data is synced to the device before the
 * commit that names it.  A block whose prog or erase fails, or whose data
 * reads back wrong, is replaced by a fresh one and the write retried.
 *
 * Until sync, nothing on disk changes meaning: the file's own handle sees
 * its writes, other handles the last synced state.  After a sync, other
 * handles on the file with nothing unsynced of their own take its new
 * state.
 *
 * Assumes lfs_file.c for opening and reading (it calls lfs_file_opencreate
 * and flushes through here), the allocator, lfs_prog.c, and the commit
 * layer.  Nothing here recurses.
 */
#include "lfs_internal.h"

int lfs_file_opencreate(lfs_t *lfs, lfs_file_t *file, lfs_stag_t tag,
        const char *path) {
    if (tag < 0 && !(tag == LFS_ERR_NOENT && lfs_path_islast(path))) {
        return (int)tag;
    }
    if (tag == LFS_ERR_NOENT) {
        if (!(file->flags & LFS_O_CREAT)) {
            return LFS_ERR_NOENT;
        }
        lfs_size_t nlen = lfs_path_namelen(path);
        if (path[nlen] != '\0') {
            return LFS_ERR_NOTDIR;
        }
        if (nlen > lfs->name_max) {
            return LFS_ERR_NAMETOOLONG;
        }
        struct lfs_mattr attrs[3] = {
            {lfs_mktag(LFS_TYPE_CREATE, file->id, 0), NULL},
            {lfs_mktag(LFS_TYPE_REG, file->id, nlen), path},
            {lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0), NULL},
        };
        // on the open list while committing, so a split moves us along
        file->type = LFS_TYPE_REG;
        lfs_mlist_append(lfs, (lfs_mlist_t *)file);
        int err = lfs_dir_commit(lfs, &file->m, attrs, 3);
        lfs_mlist_remove(lfs, (lfs_mlist_t *)file);
        // a name too long for the metadata block
        return err == LFS_ERR_NOSPC ? LFS_ERR_NAMETOOLONG : (err ? err : 1);
    }
    if (file->flags & LFS_O_EXCL) {
        return LFS_ERR_EXIST;
    }
    if (lfs_tag_type3((lfs_tag_t)tag) != LFS_TYPE_REG) {
        return LFS_ERR_ISDIR;
    }
    file->id = (uint16_t)lfs_tag_id((lfs_tag_t)tag);
    if (file->flags & LFS_O_TRUNC) {
        file->flags |= LFS_F_DIRTY;
        return 1;
    }
    return 0;
}

/* Copy [0, size) of block `from` (through the file's cache, which may hold
 * unwritten bytes of it) into the start of nblock via pcache. */
static int lfs_file_copyhead(lfs_t *lfs, lfs_cache_t *pcache,
        const lfs_cache_t *from_pcache, lfs_block_t from,
        lfs_block_t nblock, lfs_size_t size) {
    uint8_t buf[32];
    for (lfs_off_t i = 0; i < size; i += sizeof(buf)) {
        lfs_size_t n = lfs_min(size - i, sizeof(buf));
        int err = lfs_bd_read(lfs, from_pcache, &lfs->rcache, size - i,
                from, i, buf, n);
        if (err) {
            return err;
        }
        err = lfs_bd_prog(lfs, pcache, &lfs->rcache, true, nblock, i, buf, n);
        if (err) {
            return err;
        }
    }
    return 0;
}

/* A new block to continue a skip-list whose first `size` bytes end in
 * block head: a copy of head's partial contents, or, if head is full, a
 * new block with its skip pointers.  *block and *off: where writing goes on. */
static int lfs_ctz_extend(lfs_t *lfs, lfs_cache_t *pcache,
        lfs_block_t head, lfs_size_t size,
        lfs_block_t *block, lfs_off_t *off) {
    while (true) {
        lfs_block_t nblock;
        int err = lfs_alloc(lfs, &nblock);
        if (err) {
            return err;
        }
        err = lfs_bd_erase(lfs, nblock);
        if (!err && size == 0) {
            *block = nblock;
            *off = 0;
            return 0;
        }
        if (!err) {
            lfs_off_t noff = size - 1;
            lfs_off_t index = lfs_ctz_index(lfs->cfg->block_size, &noff);
            noff += 1;
            if (noff != lfs->cfg->block_size) {
                // the last block is partial: copy what it has
                err = lfs_file_copyhead(lfs, pcache, NULL, head, nblock, noff);
                if (!err) {
                    *block = nblock;
                    *off = noff;
                    return 0;
                }
            } else {
                index += 1;
                lfs_size_t skips = lfs_ctz(index) + 1;
                lfs_block_t nhead = head;
                for (lfs_off_t i = 0; !err && i < skips; i++) {
                    uint8_t raw[4];
                    lfs_put_le32(raw, nhead);
                    err = lfs_bd_prog(lfs, pcache, &lfs->rcache, true,
                            nblock, 4*i, raw, 4);
                    if (!err && i != skips - 1) {
                        err = lfs_bd_read(lfs, NULL, &lfs->rcache, 4,
                                nhead, 4*i, raw, 4);
                        if (err) {
                            return err;
                        }
                        nhead = lfs_get_le32(raw);
                        if (nhead >= lfs->block_count) {
                            return LFS_ERR_CORRUPT;
                        }
                    }
                }
                if (!err) {
                    *block = nblock;
                    *off = 4*skips;
                    return 0;
                }
            }
        }
        if (err != LFS_ERR_CORRUPT) {
            return err;
        }
        // bad block: try another
        lfs_cache_drop(pcache);
    }
}

/* Move what the file has written of its current block (or, inline, its
 * data) to a fresh block. */
static int lfs_file_relocate(lfs_t *lfs, lfs_file_t *file) {
    while (true) {
        lfs_block_t nblock;
        int err = lfs_alloc(lfs, &nblock);
        if (err) {
            return err;
        }
        err = lfs_bd_erase(lfs, nblock);
        if (!err) {
            if (file->flags & LFS_F_INLINE) {
                uint8_t buf[32];
                for (lfs_off_t i = 0; !err && i < file->off; i += sizeof(buf)) {
                    lfs_size_t n = lfs_min(file->off - i, sizeof(buf));
                    if (file->cache.block == LFS_BLOCK_INLINE
                            && i + n <= file->cache.off + file->cache.size
                            && i >= file->cache.off) {
                        memcpy(buf, &file->cache.buffer[i - file->cache.off],
                                n);
                    } else {
                        lfs_stag_t res = lfs_mdir_getslice(lfs, &file->m,
                                lfs_mktag(0x7ff, 0x3ff, 0),
                                lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0),
                                i, buf, n);
                        if (res < 0) {
                            return (int)res;
                        }
                    }
                    err = lfs_bd_prog(lfs, &lfs->pcache, &lfs->rcache, true,
                            nblock, i, buf, n);
                }
            } else {
                err = lfs_file_copyhead(lfs, &lfs->pcache, &file->cache,
                        file->block, nblock, file->off);
            }
        }
        if (!err) {
            // the program cache now holds the block's unwritten tail
            memcpy(file->cache.buffer, lfs->pcache.buffer,
                    lfs->cfg->cache_size);
            file->cache.block = lfs->pcache.block;
            file->cache.off = lfs->pcache.off;
            file->cache.size = lfs->pcache.size;
            lfs_cache_zero(lfs, &lfs->pcache);
            file->block = nblock;
            file->flags |= LFS_F_WRITING;
            return 0;
        }
        // what was progged to nblock stays in no cache to be flushed later
        lfs_cache_drop(&lfs->pcache);
        if (err != LFS_ERR_CORRUPT) {
            return err;
        }
    }
}

/* A write failed after progging bytes RAM does not account for: continue
 * in a fresh block holding what the file has of this one. */
static int lfs_file_movetainted(lfs_t *lfs, lfs_file_t *file) {
    if (!(file->flags & LFS_F_MOVE)) {
        return 0;
    }
    int err = lfs_file_relocate(lfs, file);
    if (!err) {
        file->flags &= ~LFS_F_MOVE;
    }
    return err;
}

/* Inline data to a block of its own. */
static int lfs_file_outline(lfs_t *lfs, lfs_file_t *file) {
    file->off = file->pos;
    lfs_alloc_ckpoint(lfs);
    int err = lfs_file_relocate(lfs, file);
    if (err) {
        return err;
    }
    file->flags &= ~LFS_F_INLINE;
    return 0;
}

static lfs_ssize_t lfs_file_flushedwrite(lfs_t *lfs, lfs_file_t *file,
        const void *buffer, lfs_size_t size) {
    const uint8_t *data = buffer;
    lfs_size_t nsize = size;

    if ((file->flags & LFS_F_INLINE)
            && lfs_max(file->pos + nsize, file->ctz.size) > lfs->inline_max) {
        int err = lfs_file_outline(lfs, file);
        if (err) {
            file->flags |= LFS_F_ERRED;
            return err;
        }
    }

    while (nsize > 0) {
        if (!(file->flags & LFS_F_WRITING)
                || file->off == lfs->cfg->block_size) {
            if (!(file->flags & LFS_F_INLINE)) {
                if (!(file->flags & LFS_F_WRITING) && file->pos > 0) {
                    // the block we continue from
                    lfs_off_t ignored;
                    int err = lfs_ctz_find(lfs, &file->cache,
                            file->ctz.head, file->ctz.size, file->pos - 1,
                            &file->block, &ignored);
                    if (err) {
                        file->flags |= LFS_F_ERRED;
                        return err;
                    }
                    lfs_cache_zero(lfs, &file->cache);
                }
                lfs_alloc_ckpoint(lfs);
                int err = lfs_ctz_extend(lfs, &file->cache,
                        file->block, file->pos, &file->block, &file->off);
                if (err) {
                    file->flags |= LFS_F_ERRED;
                    return err;
                }
            } else {
                file->block = LFS_BLOCK_INLINE;
                file->off = file->pos;
            }
            file->flags |= LFS_F_WRITING;
            file->flags &= ~LFS_F_MOVE;
        }

        lfs_size_t diff = lfs_min(nsize, lfs->cfg->block_size - file->off);
        int err = lfs_file_movetainted(lfs, file);
        while (!err) {
            err = lfs_bd_prog(lfs, &file->cache, &lfs->rcache, true,
                    file->block, file->off, data, diff);
            if (!err) {
                break;
            }
            if (err == LFS_ERR_CORRUPT) {
                err = lfs_file_relocate(lfs, file);
            } else {
                // a cache flushed on the way may have progged some of data
                file->flags |= LFS_F_MOVE;
            }
        }
        if (err) {
            file->flags |= LFS_F_ERRED;
            return err;
        }

        file->pos += diff;
        file->off += diff;
        data += diff;
        nsize -= diff;
        lfs_alloc_ckpoint(lfs);
    }

    return (lfs_ssize_t)size;
}

/* Read [pos, pos+size) of the file's synced data (inline or skip-list)
 * without touching the file's cache. */
static int lfs_file_readsynced(lfs_t *lfs, lfs_file_t *file,
        lfs_off_t pos, void *buffer, lfs_size_t size) {
    if (file->ctz.head == LFS_BLOCK_INLINE) {
        lfs_stag_t res = lfs_mdir_getslice(lfs, &file->m,
                lfs_mktag(0x7ff, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0),
                pos, buffer, size);
        return res < 0 ? (int)res : 0;
    }
    lfs_block_t block;
    lfs_off_t off;
    int err = lfs_ctz_find(lfs, &lfs->rcache, file->ctz.head,
            file->ctz.size, pos, &block, &off);
    if (err) {
        return err;
    }
    // defensive: the flush sizes each read with lfs_ctz_index, as
    // lfs_ctz_find does, so it never reaches past the block
    if (size > lfs->cfg->block_size - off) {
        return LFS_ERR_CORRUPT;
    }
    return lfs_bd_read(lfs, NULL, &lfs->rcache, size, block, off,
            buffer, size);
}

int lfs_file_flush(lfs_t *lfs, lfs_file_t *file) {
    if (file->flags & LFS_F_READING) {
        if (!(file->flags & LFS_F_INLINE)) {
            lfs_cache_drop(&file->cache);
        }
        file->flags &= ~LFS_F_READING;
    }
    if (!(file->flags & LFS_F_WRITING)) {
        return 0;
    }

    lfs_off_t pos = file->pos;
    if (!(file->flags & LFS_F_INLINE)) {
        // copy the old data after what we wrote
        while (file->pos < file->ctz.size) {
            uint8_t buf[32];
            lfs_off_t off = file->pos;
            lfs_ctz_index(lfs->cfg->block_size, &off);
            lfs_size_t n = lfs_min(lfs_min(file->ctz.size - file->pos,
                    sizeof(buf)), lfs->cfg->block_size - off);
            int err = lfs_file_readsynced(lfs, file, file->pos, buf, n);
            if (err) {
                return err;
            }
            lfs_ssize_t res = lfs_file_flushedwrite(lfs, file, buf, n);
            if (res < 0) {
                return (int)res;
            }
        }

        int err = lfs_file_movetainted(lfs, file);
        while (!err) {
            err = lfs_bd_flush(lfs, &file->cache, &lfs->rcache, true);
            if (!err) {
                break;
            }
            if (err == LFS_ERR_CORRUPT) {
                err = lfs_file_relocate(lfs, file);
            } else {
                file->flags |= LFS_F_MOVE;
            }
        }
        if (err) {
            return err;
        }
    } else {
        file->pos = lfs_max(file->pos, file->ctz.size);
    }

    file->ctz.head = file->block;
    file->ctz.size = file->pos;
    file->flags &= ~LFS_F_WRITING;
    file->flags |= LFS_F_DIRTY;
    file->pos = pos;
    return 0;
}

lfs_ssize_t lfs_file_rawwrite(lfs_t *lfs, lfs_file_t *file,
        const void *buffer, lfs_size_t size) {
    if (file->flags & LFS_F_READING) {
        // cannot fail: a reading handle has nothing unwritten (a read
        // flushes first), and such a flush only drops the cache
        int err = lfs_file_flush(lfs, file);
        if (err) {
            return err;
        }
    }
    if ((file->flags & LFS_O_APPEND) && file->pos < file->ctz.size) {
        file->pos = file->ctz.size;
    }
    if (file->pos > lfs->file_max || size > lfs->file_max - file->pos) {
        return LFS_ERR_FBIG;
    }

    if (!(file->flags & LFS_F_WRITING) && file->pos > file->ctz.size) {
        // a seek past the end: fill the gap with zeros
        lfs_off_t pos = file->pos;
        file->pos = file->ctz.size;
        static const uint8_t zeros[32];
        while (file->pos < pos) {
            lfs_ssize_t res = lfs_file_flushedwrite(lfs, file, zeros,
                    lfs_min(pos - file->pos, sizeof(zeros)));
            if (res < 0) {
                return res;
            }
        }
    }

    lfs_ssize_t nsize = lfs_file_flushedwrite(lfs, file, buffer, size);
    if (nsize < 0) {
        return nsize;
    }
    file->flags &= ~LFS_F_ERRED;
    return nsize;
}

/* Other handles on the file that have nothing unsynced take its state. */
static void lfs_file_share(lfs_t *lfs, lfs_file_t *file) {
    for (lfs_mlist_t *m = lfs->mlist; m; m = m->next) {
        lfs_file_t *f = (lfs_file_t *)m;
        if (f == file || m->type != LFS_TYPE_REG || f->id != file->id
                || !lfs_pair_issame(f->m.pair, file->m.pair)
                || (f->flags & (LFS_F_DIRTY | LFS_F_WRITING))) {
            continue;
        }
        f->ctz = file->ctz;
        f->flags &= ~(LFS_F_READING | LFS_F_INLINE);
        f->flags |= file->flags & LFS_F_INLINE;
        lfs_cache_drop(&f->cache);
        if (file->flags & LFS_F_INLINE) {
            memcpy(f->cache.buffer, file->cache.buffer, lfs->cfg->cache_size);
            f->cache.block = LFS_BLOCK_INLINE;
            f->cache.off = 0;
            f->cache.size = lfs->cfg->cache_size;
        }
    }
}

int lfs_file_rawsync(lfs_t *lfs, lfs_file_t *file) {
    if (file->flags & LFS_F_ERRED) {
        // a failed write left nothing safe to commit
        return 0;
    }
    int err = lfs_file_flush(lfs, file);
    if (err) {
        file->flags |= LFS_F_ERRED;
        return err;
    }
    if (!(file->flags & LFS_F_DIRTY) || lfs_pair_isnull(file->m.pair)) {
        return 0;
    }

    if (!(file->flags & LFS_F_INLINE)) {
        // data before the metadata that names it
        err = lfs_bd_sync(lfs, &lfs->pcache, &lfs->rcache, false);
        if (err) {
            return err;
        }
    }

    uint8_t raw[8];
    struct lfs_mattr attrs[2];
    if (file->flags & LFS_F_INLINE) {
        attrs[0] = (struct lfs_mattr){lfs_mktag(LFS_TYPE_INLINESTRUCT,
                file->id, file->ctz.size), file->cache.buffer};
    } else {
        lfs_put_le32(&raw[0], file->ctz.head);
        lfs_put_le32(&raw[4], file->ctz.size);
        attrs[0] = (struct lfs_mattr){
            lfs_mktag(LFS_TYPE_CTZSTRUCT, file->id, 8), raw};
    }
    attrs[1] = (struct lfs_mattr){lfs_mktag(LFS_FROM_USERATTRS, file->id,
            file->cfg->attr_count), file->cfg->attrs};
    err = lfs_dir_commit(lfs, &file->m, attrs, 2);
    if (err) {
        file->flags |= LFS_F_ERRED;
        return err;
    }
    file->flags &= ~LFS_F_DIRTY;
    lfs_file_share(lfs, file);
    return 0;
}

int lfs_file_rawtruncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size) {
    if (size > lfs->file_max) {
        return LFS_ERR_INVAL;
    }
    lfs_off_t pos = file->pos;
    lfs_off_t oldsize = (lfs_off_t)lfs_file_rawsize(lfs, file);

    if (size < oldsize) {
        int err = lfs_file_flush(lfs, file);
        if (err) {
            return err;
        }
        if (size <= lfs->inline_max) {
            // small enough to live inline again
            if (!(file->flags & LFS_F_INLINE)
                    || file->cache.block != LFS_BLOCK_INLINE) {
                lfs_cache_drop(&lfs->rcache);
                uint8_t *buf = lfs->rcache.buffer;
                lfs_size_t done = 0;
                while (done < size) {
                    lfs_off_t off = done;
                    lfs_ctz_index(lfs->cfg->block_size, &off);
                    lfs_size_t n = lfs_min(size - done,
                            lfs->cfg->block_size - off);
                    // read through the file cache; the read cache holds
                    // the result
                    if (file->ctz.head == LFS_BLOCK_INLINE) {
                        lfs_stag_t res = lfs_mdir_getslice(lfs, &file->m,
                                lfs_mktag(0x7ff, 0x3ff, 0),
                                lfs_mktag(LFS_TYPE_INLINESTRUCT, file->id, 0),
                                0, file->cache.buffer, size);
                        if (res < 0) {
                            return (int)res;
                        }
                        memcpy(buf, file->cache.buffer, size);
                        break;
                    }
                    lfs_block_t block;
                    err = lfs_ctz_find(lfs, &file->cache, file->ctz.head,
                            file->ctz.size, done, &block, &off);
                    if (!err) {
                        err = lfs_bd_read(lfs, NULL, &file->cache, n,
                                block, off, buf + done, n);
                    }
                    if (err) {
                        return err;
                    }
                    done += n;
                }
                memcpy(file->cache.buffer, buf, size);
                lfs_cache_drop(&lfs->rcache);
            }
            file->ctz.head = LFS_BLOCK_INLINE;
            file->ctz.size = size;
            file->flags |= LFS_F_DIRTY | LFS_F_INLINE;
            file->flags &= ~LFS_F_READING;
            file->cache.block = LFS_BLOCK_INLINE;
            file->cache.off = 0;
            file->cache.size = lfs->cfg->cache_size;
        } else {
            // the list's prefix is a valid list: find its new head
            lfs_off_t ignored;
            err = lfs_ctz_find(lfs, &file->cache, file->ctz.head,
                    file->ctz.size, size - 1, &file->block, &ignored);
            if (err) {
                return err;
            }
            lfs_cache_drop(&file->cache);
            file->ctz.head = file->block;
            file->ctz.size = size;
            file->flags |= LFS_F_DIRTY;
            file->flags &= ~LFS_F_READING;
        }
    } else if (size > oldsize) {
        lfs_soff_t res = lfs_file_rawseek(lfs, file, 0, LFS_SEEK_END);
        if (res < 0) {
            return (int)res;
        }
        static const uint8_t zeros[32];
        while (file->pos < size) {
            lfs_ssize_t n = lfs_file_rawwrite(lfs, file, zeros,
                    lfs_min(size - file->pos, sizeof(zeros)));
            if (n < 0) {
                return (int)n;
            }
        }
    }

    lfs_soff_t res = lfs_file_rawseek(lfs, file, (lfs_soff_t)pos,
            LFS_SEEK_SET);
    return res < 0 ? (int)res : 0;
}

/* Blocks of open files not yet reachable from the metadata: a synced but
 * uncommitted skip-list, and the one being written (whose newest block
 * may still sit in the file's cache). */
int lfs_file_traverseopen(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data) {
    const lfs_size_t block_size = lfs->cfg->block_size;
    for (lfs_mlist_t *m = lfs->mlist; m; m = m->next) {
        lfs_file_t *f = (lfs_file_t *)m;
        if (m->type != LFS_TYPE_REG || (f->flags & LFS_F_INLINE)) {
            continue;
        }
        if ((f->flags & LFS_F_DIRTY) && f->ctz.head != LFS_BLOCK_INLINE) {
            int err = lfs_ctz_traverse(lfs, &lfs->rcache, f->ctz.head,
                    f->ctz.size, cb, data);
            if (err) {
                return err;
            }
        }
        if (f->flags & LFS_F_WRITING) {
            int err = cb(data, f->block);
            if (err) {
                return err;
            }
            // the block holds the byte before pos if it is full, else the
            // byte at pos: a block just added (or being relocated) at a
            // block boundary already has its skip-list header
            lfs_off_t off = f->pos;
            if (f->off == block_size) {
                off -= 1;
            }
            lfs_off_t index = lfs_ctz_index(block_size, &off);
            if (index == 0) {
                continue;
            }
            uint8_t raw[4];
            err = lfs_bd_read(lfs, &f->cache, &lfs->rcache, 4,
                    f->block, 0, raw, 4);
            if (err) {
                return err;
            }
            // the list before it: blocks 0..index-1, all full
            lfs_size_t prefix = index*block_size
                    - 4*(2*(index - 1) - lfs_popc(index - 1));
            err = lfs_ctz_traverse(lfs, &lfs->rcache, lfs_get_le32(raw),
                    prefix, cb, data);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}
