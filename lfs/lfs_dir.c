/*
 * lfs_dir.c - directories: path lookup, entry info, and reading a
 * directory's entries.
 *
 * A directory is a chain of metadata pairs linked by hard tails, entries
 * sorted by name across the chain; the root is the pair the superblock
 * lives in, and its id 0 is the superblock entry, which is not listed.
 * Reading yields "." and ".." first, then each entry once; lfs_dir_tell's
 * position counts "." and "..", then ids walked (so the superblock id
 * counts in the root, as littlefs counts it).
 *
 * Assumes the mdir layer for fetches and tag lookups (which hides the
 * source of a pending move), and lfs_path.c for splitting paths.  Hard-
 * tail chains are walked with Brent's cycle detection, so a looping chain
 * on a corrupt disk ends in LFS_ERR_CORRUPT rather than a hang.
 */
#include "lfs_internal.h"

/* Find the pair of the chain starting at dir->tail that holds `name`. */
static lfs_stag_t lfs_dir_findname(lfs_t *lfs, lfs_mdir_t *dir,
        const char *name, lfs_size_t namelen, uint16_t *id) {
    struct lfs_mdir_name match = {lfs, name, namelen};
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);

    while (true) {
        int err = lfs_chainwalk_step(&walk, dir->tail);
        if (err) {
            return err;
        }
        lfs_stag_t tag = lfs_mdir_fetchmatch(lfs, dir, dir->tail,
                lfs_mktag(0x780, 0, 0),
                lfs_mktag(LFS_TYPE_NAME, 0, 0),
                id, lfs_mdir_namecmp, &match);
        if (tag) {
            return tag;
        }
        if (!dir->split) {
            return LFS_ERR_NOENT;
        }
    }
}

/* Look path up.  On success returns the entry's name tag (type REG or DIR,
 * id in dir), with dir the pair holding it; the root is a DIR tag with id
 * 0x3ff and dir not fetched.  *path is left at the last name looked up. */
lfs_stag_t lfs_dir_lookup(lfs_t *lfs, lfs_mdir_t *dir, const char **path,
        uint16_t *id) {
    const char *name = *path;
    lfs_stag_t tag = (lfs_stag_t)lfs_mktag(LFS_TYPE_DIR, LFS_ID_NONE, 0);
    dir->tail[0] = lfs->root[0];
    dir->tail[1] = lfs->root[1];

    if (*name == '\0') {
        return LFS_ERR_INVAL;
    }

    while (true) {
        bool isdir = lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_DIR;
        lfs_ssize_t namelen = lfs_path_next(&name, isdir);
        if (namelen < 0) {
            return namelen;
        }
        if (*name == '\0') {
            return tag;
        }
        *path = name;
        if (!isdir) {
            return LFS_ERR_NOTDIR;
        }

        if (lfs_tag_id((lfs_tag_t)tag) != LFS_ID_NONE) {
            uint8_t raw[8];
            lfs_stag_t res = lfs_mdir_get(lfs, dir, lfs_mktag(0x700, 0x3ff, 0),
                    lfs_mktag(LFS_TYPE_STRUCT, lfs_tag_id((lfs_tag_t)tag), 8),
                    raw);
            if (res < 0) {
                return res;
            }
            if (lfs_tag_type3((lfs_tag_t)res) != LFS_TYPE_DIRSTRUCT) {
                return LFS_ERR_CORRUPT;
            }
            lfs_pair_fromdisk(dir->tail, raw);
        }

        // no entry can have a longer name than the disk allows
        if ((lfs_size_t)namelen > lfs->name_max) {
            return LFS_ERR_NOENT;
        }
        tag = lfs_dir_findname(lfs, dir, name, (lfs_size_t)namelen, id);
        if (tag < 0) {
            return tag;
        }
        uint32_t type = lfs_tag_type3((lfs_tag_t)tag);
        if (type != LFS_TYPE_REG && type != LFS_TYPE_DIR) {
            return LFS_ERR_CORRUPT;
        }
        name += namelen;
    }
}

/* Name, type and size of entry id of dir; LFS_ERR_NOENT if the id holds no
 * listable entry (the superblock, a moved-away source, a gap). */
int lfs_dir_entryinfo(lfs_t *lfs, lfs_mdir_t *dir, uint16_t id,
        struct lfs_info *info) {
    if (id == LFS_ID_NONE) {
        strcpy(info->name, "/");
        info->type = LFS_TYPE_DIR;
        info->size = 0;
        return 0;
    }

    lfs_stag_t tag = lfs_mdir_get(lfs, dir, lfs_mktag(0x780, 0x3ff, 0),
            lfs_mktag(LFS_TYPE_NAME, id, lfs->name_max + 1), info->name);
    if (tag < 0) {
        return (int)tag;
    }
    uint32_t type = lfs_tag_type3((lfs_tag_t)tag);
    if (lfs_tag_size((lfs_tag_t)tag) > lfs->name_max
            || (type != LFS_TYPE_REG && type != LFS_TYPE_DIR)) {
        return LFS_ERR_CORRUPT;
    }
    info->type = (uint8_t)type;
    info->size = 0;

    uint8_t raw[8];
    tag = lfs_mdir_get(lfs, dir, lfs_mktag(0x700, 0x3ff, 0),
            lfs_mktag(LFS_TYPE_STRUCT, id, sizeof(raw)), raw);
    if (tag < 0) {
        return (int)tag;
    }
    if (lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_CTZSTRUCT) {
        info->size = lfs_get_le32(&raw[4]);
    } else if (lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_INLINESTRUCT) {
        info->size = lfs_tag_size((lfs_tag_t)tag);
    }
    return 0;
}

int lfs_rawstat(lfs_t *lfs, const char *path, struct lfs_info *info) {
    lfs_mdir_t cwd;
    lfs_stag_t tag = lfs_dir_lookup(lfs, &cwd, &path, NULL);
    if (tag < 0) {
        return (int)tag;
    }
    memset(info, 0, sizeof(*info));
    return lfs_dir_entryinfo(lfs, &cwd, (uint16_t)lfs_tag_id((lfs_tag_t)tag),
            info);
}

int lfs_dir_rawopen(lfs_t *lfs, lfs_dir_t *dir, const char *path) {
    lfs_stag_t tag = lfs_dir_lookup(lfs, &dir->m, &path, NULL);
    if (tag < 0) {
        return (int)tag;
    }
    if (lfs_tag_type3((lfs_tag_t)tag) != LFS_TYPE_DIR) {
        return LFS_ERR_NOTDIR;
    }

    lfs_block_t pair[2];
    if (lfs_tag_id((lfs_tag_t)tag) == LFS_ID_NONE) {
        pair[0] = lfs->root[0];
        pair[1] = lfs->root[1];
    } else {
        uint8_t raw[8];
        lfs_stag_t res = lfs_mdir_get(lfs, &dir->m, lfs_mktag(0x700, 0x3ff, 0),
                lfs_mktag(LFS_TYPE_STRUCT, lfs_tag_id((lfs_tag_t)tag), 8),
                raw);
        if (res < 0) {
            return (int)res;
        }
        if (lfs_tag_type3((lfs_tag_t)res) != LFS_TYPE_DIRSTRUCT) {
            return LFS_ERR_CORRUPT;
        }
        lfs_pair_fromdisk(pair, raw);
    }

    int err = lfs_mdir_fetch(lfs, &dir->m, pair);
    if (err) {
        return err;
    }
    dir->head[0] = dir->m.pair[0];
    dir->head[1] = dir->m.pair[1];
    dir->id = 0;
    dir->pos = 0;
    // the walk's first step records head; a fresh walk finds no cycle
    lfs_chainwalk_start(&dir->walk);
    (void)lfs_chainwalk_step(&dir->walk, dir->head);
    // on the open list, so commits keep m, id and head current
    dir->type = LFS_TYPE_DIR;
    lfs_mlist_append(lfs, (lfs_mlist_t *)dir);
    return 0;
}

int lfs_dir_rawclose(lfs_t *lfs, lfs_dir_t *dir) {
    lfs_mlist_remove(lfs, (lfs_mlist_t *)dir);
    return 0;
}

/* Move to the next pair of the directory's chain. */
static int lfs_dir_nextpair(lfs_t *lfs, lfs_dir_t *dir) {
    int err = lfs_mdir_fetchtail(lfs, &dir->walk, &dir->m);
    if (err) {
        return err;
    }
    dir->id = 0;
    return 0;
}

int lfs_dir_rawread(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info) {
    memset(info, 0, sizeof(*info));

    if (dir->pos == 0 || dir->pos == 1) {
        info->type = LFS_TYPE_DIR;
        strcpy(info->name, dir->pos == 0 ? "." : "..");
        dir->pos += 1;
        return 1;
    }

    while (true) {
        if (dir->id >= dir->m.count) {
            if (!dir->m.split) {
                return 0;
            }
            int err = lfs_dir_nextpair(lfs, dir);
            if (err) {
                return err;
            }
            continue;
        }

        int err = lfs_dir_entryinfo(lfs, &dir->m, dir->id, info);
        if (err && err != LFS_ERR_NOENT) {
            return err;
        }
        dir->id += 1;
        if (err != LFS_ERR_NOENT) {
            break;
        }
    }

    dir->pos += 1;
    return 1;
}

int lfs_dir_rawrewind(lfs_t *lfs, lfs_dir_t *dir) {
    int err = lfs_mdir_fetch(lfs, &dir->m, dir->head);
    if (err) {
        return err;
    }
    dir->id = 0;
    dir->pos = 0;
    lfs_chainwalk_start(&dir->walk);
    return lfs_chainwalk_step(&dir->walk, dir->head);
}

int lfs_dir_rawseek(lfs_t *lfs, lfs_dir_t *dir, lfs_off_t off) {
    int err = lfs_dir_rawrewind(lfs, dir);
    if (err) {
        return err;
    }

    // "." and ".." first
    dir->pos = lfs_min(2, off);
    off -= dir->pos;

    // the root's id 0 is the superblock, counted but never listed
    dir->id = (off > 0 && lfs_pair_sharesblock(dir->head, lfs->root));

    while (off > 0) {
        if (dir->id >= dir->m.count) {
            if (!dir->m.split) {
                return LFS_ERR_INVAL;
            }
            err = lfs_dir_nextpair(lfs, dir);
            if (err) {
                return err;
            }
            continue;
        }
        lfs_off_t diff = lfs_min(dir->m.count - dir->id, off);
        dir->id += (uint16_t)diff;
        dir->pos += diff;
        off -= diff;
    }

    return 0;
}

lfs_soff_t lfs_dir_rawtell(lfs_t *lfs, lfs_dir_t *dir) {
    (void)lfs;
    return (lfs_soff_t)dir->pos;
}
