/*
 * lfs_namespace.c - changing the directory tree: mkdir, remove, rename,
 * and user attributes on paths.
 *
 * Every call first repairs what an earlier power loss left (pending move,
 * orphans).  A new directory is a new pair linked into the threaded list
 * after the last pair of its parent directory, then named in the parent.
 * Removing a directory (which must be empty) deletes its entry, then
 * unlinks its pair from the list; in between the gstate counts it as an
 * orphan, so a power loss there is repaired at the next mount.  A rename
 * commits the new entry (a copy of the old entry's struct and attributes)
 * together with a gstate move naming the old entry, then deletes the old
 * entry and clears the move in one commit; a power loss between the two
 * leaves the move for lfs_fs_demove.  Within one pair both happen in a
 * single commit.  Moving a directory into its own subtree is refused.
 * The root's attributes live on the superblock entry, id 0 of the root
 * pair.
 *
 * Assumes lfs_dir_lookup for paths (it leaves *path at the last name it
 * looked at, and *id at where a missing name would be inserted).
 */
#include "lfs_internal.h"

bool lfs_path_islast(const char *path) {
    size_t n = strcspn(path, "/");
    return path[n + strspn(path + n, "/")] == '\0';
}

lfs_size_t lfs_path_namelen(const char *path) {
    return (lfs_size_t)strcspn(path, "/");
}

static bool lfs_path_isdir(const char *path) {
    return path[lfs_path_namelen(path)] != '\0';
}

/* The pair a directory entry points to. */
static int lfs_dir_entrypair(lfs_t *lfs, const lfs_mdir_t *dir, uint16_t id,
        lfs_block_t pair[2]) {
    uint8_t raw[8];
    lfs_stag_t res = lfs_mdir_get(lfs, dir, lfs_mktag(0x700, 0x3ff, 0),
            lfs_mktag(LFS_TYPE_STRUCT, id, 8), raw);
    if (res < 0) {
        return (int)res;
    }
    if (lfs_tag_type3((lfs_tag_t)res) != LFS_TYPE_DIRSTRUCT) {
        return LFS_ERR_CORRUPT;
    }
    lfs_pair_fromdisk(pair, raw);
    return 0;
}

/* Before removing (or renaming over) the directory entry `id` of `parent`:
 * fetch the directory it names into `dir`, refuse it unless empty, count it
 * as an orphan until the removal commits, and track it on the open list, as
 * our parent's commit may relocate the directory's predecessor. */
static int lfs_dir_prepremove(lfs_t *lfs, const lfs_mdir_t *parent,
        uint16_t id, lfs_mlist_t *dir) {
    lfs_block_t pair[2];
    int err = lfs_dir_entrypair(lfs, parent, id, pair);
    if (err) {
        return err;
    }
    err = lfs_mdir_fetch(lfs, &dir->m, pair);
    if (err) {
        return err;
    }
    if (dir->m.count > 0 || dir->m.split) {
        return LFS_ERR_NOTEMPTY;
    }
    // cannot fail: the repair at the start of the call left the count 0
    err = lfs_fs_preporphans(lfs, +1);
    if (err) {
        return err;
    }
    dir->type = 0;
    dir->id = 0;
    lfs_mlist_append(lfs, dir);
    return 0;
}

/* The entry naming a directory is gone (remove, or rename over it): unlink
 * its now parentless pair from the threaded list (pred is scratch for its
 * predecessor) and uncount the orphan lfs_dir_prepremove counted. */
static int lfs_dir_unlinkremoved(lfs_t *lfs, lfs_mdir_t *removed,
        lfs_mdir_t *pred) {
    int err = lfs_fs_pred(lfs, removed->pair, pred);
    if (err) {
        return err;
    }
    // cannot fail, as in mkdir
    err = lfs_fs_preporphans(lfs, -1);
    if (err) {
        return err;
    }
    return lfs_dir_drop(lfs, pred, removed);
}

int lfs_rawmkdir(lfs_t *lfs, const char *path) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }

    lfs_mlist_t cwd;
    uint16_t id;
    lfs_stag_t tag = lfs_dir_lookup(lfs, &cwd.m, &path, &id);
    if (!(tag == LFS_ERR_NOENT && lfs_path_islast(path))) {
        return tag < 0 ? (int)tag : LFS_ERR_EXIST;
    }
    lfs_size_t nlen = lfs_path_namelen(path);
    if (nlen > lfs->name_max) {
        return LFS_ERR_NAMETOOLONG;
    }

    lfs_alloc_ckpoint(lfs);
    lfs_mdir_t dir;
    err = lfs_dir_alloc(lfs, &dir);
    if (err) {
        return err;
    }

    // the last pair of the parent directory
    lfs_mdir_t pred = cwd.m;
    lfs_chainwalk_t walk;
    lfs_chainwalk_start(&walk);
    while (pred.split) {
        err = lfs_mdir_fetchtail(lfs, &walk, &pred);
        if (err) {
            return err;
        }
    }

    uint8_t rawtail[8], rawpair[8];
    lfs_put_le32(&rawtail[0], pred.tail[0]);
    lfs_put_le32(&rawtail[4], pred.tail[1]);
    struct lfs_mattr tail = {
        lfs_mktag(LFS_TYPE_SOFTTAIL, LFS_ID_NONE, 8), rawtail};
    err = lfs_dir_commit(lfs, &dir, &tail, 1);
    if (err) {
        return err;
    }
    lfs_put_le32(&rawpair[0], dir.pair[0]);
    lfs_put_le32(&rawpair[4], dir.pair[1]);

    if (cwd.m.split) {
        // link the new pair after the directory's last pair; until the
        // parent names it, it is an orphan
        err = lfs_fs_preporphans(lfs, +1);
        if (err) {
            return err;
        }
        // the predecessor's commit may relocate cwd: track it
        cwd.type = 0;
        cwd.id = 0;
        lfs_mlist_append(lfs, &cwd);
        struct lfs_mattr link = {
            lfs_mktag(LFS_TYPE_SOFTTAIL, LFS_ID_NONE, 8), rawpair};
        err = lfs_dir_commit(lfs, &pred, &link, 1);
        lfs_mlist_remove(lfs, &cwd);
        if (err) {
            return err;
        }
        // cannot fail: lfs_dir_commit leaves the operation's own orphan
        // counted, also when it repairs nested relocations
        err = lfs_fs_preporphans(lfs, -1);
        if (err) {
            return err;
        }
    }

    struct lfs_mattr attrs[4] = {
        {lfs_mktag(LFS_TYPE_CREATE, id, 0), NULL},
        {lfs_mktag(LFS_TYPE_DIR, id, nlen), path},
        {lfs_mktag(LFS_TYPE_DIRSTRUCT, id, 8), rawpair},
        {lfs_mktag(LFS_TYPE_SOFTTAIL, LFS_ID_NONE, 8), rawpair},
    };
    return lfs_dir_commit(lfs, &cwd.m, attrs, cwd.m.split ? 3 : 4);
}

int lfs_rawremove(lfs_t *lfs, const char *path) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }

    lfs_mdir_t cwd;
    lfs_stag_t tag = lfs_dir_lookup(lfs, &cwd, &path, NULL);
    if (tag < 0) {
        return (int)tag;
    }
    if (lfs_tag_id((lfs_tag_t)tag) == LFS_ID_NONE) {
        return LFS_ERR_INVAL;
    }
    uint16_t id = (uint16_t)lfs_tag_id((lfs_tag_t)tag);
    bool isdir = lfs_tag_type3((lfs_tag_t)tag) == LFS_TYPE_DIR;

    lfs_mlist_t dir;
    if (isdir) {
        err = lfs_dir_prepremove(lfs, &cwd, id, &dir);
        if (err) {
            return err;
        }
    }

    struct lfs_mattr del = {lfs_mktag(LFS_TYPE_DELETE, id, 0), NULL};
    err = lfs_dir_commit(lfs, &cwd, &del, 1);
    if (isdir) {
        lfs_mlist_remove(lfs, &dir);
    }
    if (err || !isdir) {
        return err;
    }

    return lfs_dir_unlinkremoved(lfs, &dir.m, &cwd);
}

/* Whether path names an entry strictly inside the directory dirpath.
 * Paths resolve by their names alone (no links, ".." cancels lexically),
 * so comparing the names each resolves to is exact, in constant memory. */
static bool lfs_path_isinside(const char *dirpath, const char *path) {
    while (true) {
        lfs_ssize_t dlen = lfs_path_next(&dirpath, true);
        lfs_ssize_t plen = lfs_path_next(&path, true);
        // unreachable from lfs_rawrename: both paths resolved already, so
        // no name in them is too long to measure
        if (dlen < 0 || plen < 0) {
            return false;
        }
        if (dlen == 0) {
            return plen > 0;
        }
        if (dlen != plen || memcmp(dirpath, path, (size_t)dlen) != 0) {
            return false;
        }
        dirpath += dlen;
        path += plen;
    }
}

int lfs_rawrename(lfs_t *lfs, const char *oldpath, const char *newpath) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }
    const char *oldfull = oldpath;
    const char *newfull = newpath;

    lfs_mdir_t oldcwd;
    lfs_stag_t oldtag = lfs_dir_lookup(lfs, &oldcwd, &oldpath, NULL);
    if (oldtag < 0) {
        return (int)oldtag;
    }
    if (lfs_tag_id((lfs_tag_t)oldtag) == LFS_ID_NONE) {
        return LFS_ERR_INVAL;
    }
    uint16_t oldid = (uint16_t)lfs_tag_id((lfs_tag_t)oldtag);
    uint32_t oldtype = lfs_tag_type3((lfs_tag_t)oldtag);

    lfs_mdir_t newcwd;
    uint16_t newid;
    lfs_stag_t prevtag = lfs_dir_lookup(lfs, &newcwd, &newpath, &newid);
    if ((prevtag < 0 || lfs_tag_id((lfs_tag_t)prevtag) == LFS_ID_NONE)
            && !(prevtag == LFS_ERR_NOENT && lfs_path_islast(newpath))) {
        return prevtag < 0 ? (int)prevtag : LFS_ERR_INVAL;
    }
    // a directory cannot move into itself (POSIX EINVAL)
    if (oldtype == LFS_TYPE_DIR && lfs_path_isinside(oldfull, newfull)) {
        return LFS_ERR_INVAL;
    }

    bool samepair = lfs_pair_sharesblock(oldcwd.pair, newcwd.pair);
    uint16_t newoldid = oldid;
    lfs_size_t nlen = lfs_path_namelen(newpath);
    lfs_mlist_t prevdir;
    bool previsdir = false;

    if (prevtag == LFS_ERR_NOENT) {
        if (lfs_path_isdir(newpath) && oldtype != LFS_TYPE_DIR) {
            return LFS_ERR_NOTDIR;
        }
        if (nlen > lfs->name_max) {
            return LFS_ERR_NAMETOOLONG;
        }
        // the new entry goes in before the old one
        if (samepair && newid <= newoldid) {
            newoldid += 1;
        }
    } else if (lfs_tag_type3((lfs_tag_t)prevtag) != oldtype) {
        return lfs_tag_type3((lfs_tag_t)prevtag) == LFS_TYPE_DIR
                ? LFS_ERR_ISDIR : LFS_ERR_NOTDIR;
    } else if (samepair && newid == newoldid) {
        return 0;
    } else if (oldtype == LFS_TYPE_DIR) {
        // a directory replaced must be empty
        err = lfs_dir_prepremove(lfs, &newcwd, newid, &prevdir);
        if (err) {
            return err;
        }
        previsdir = true;
    }

    if (!samepair) {
        lfs_fs_prepmove(lfs, newoldid, oldcwd.pair);
    }

    struct lfs_mattr attrs[5];
    int count = 0;
    if (prevtag != LFS_ERR_NOENT) {
        attrs[count++] = (struct lfs_mattr){
            lfs_mktag(LFS_TYPE_DELETE, newid, 0), NULL};
    }
    attrs[count++] = (struct lfs_mattr){
        lfs_mktag(LFS_TYPE_CREATE, newid, 0), NULL};
    attrs[count++] = (struct lfs_mattr){
        lfs_mktag(oldtype, newid, nlen), newpath};
    attrs[count++] = (struct lfs_mattr){
        lfs_mktag(LFS_FROM_MOVE, newid, oldid), &oldcwd};
    if (samepair) {
        attrs[count++] = (struct lfs_mattr){
            lfs_mktag(LFS_TYPE_DELETE, newoldid, 0), NULL};
    }
    err = lfs_dir_commit(lfs, &newcwd, attrs, count);
    if (err) {
        goto done;
    }

    // delete the old entry, unless a relocation already completed the move
    if (!samepair && lfs_gstate_hasmove(&lfs->gstate)) {
        lfs_fs_prepmove(lfs, LFS_ID_NONE, NULL);
        struct lfs_mattr del = {lfs_mktag(LFS_TYPE_DELETE, oldid, 0), NULL};
        err = lfs_dir_commit(lfs, &oldcwd, &del, 1);
        if (err) {
            goto done;
        }
    }

done:
    if (previsdir) {
        lfs_mlist_remove(lfs, &prevdir);
    }
    if (err || !previsdir) {
        return err;
    }

    return lfs_dir_unlinkremoved(lfs, &prevdir.m, &newcwd);
}

static int lfs_commitattr(lfs_t *lfs, const char *path,
        uint8_t type, const void *buffer, lfs_size_t size) {
    int err = lfs_fs_forceconsistency(lfs);
    if (err) {
        return err;
    }
    lfs_mdir_t cwd;
    lfs_stag_t tag = lfs_dir_lookup(lfs, &cwd, &path, NULL);
    if (tag < 0) {
        return (int)tag;
    }
    uint16_t id = (uint16_t)lfs_tag_id((lfs_tag_t)tag);
    if (id == LFS_ID_NONE) {
        // the root's attributes live on the superblock entry
        id = 0;
        err = lfs_mdir_fetch(lfs, &cwd, lfs->root);
        if (err) {
            return err;
        }
    }
    struct lfs_mattr attr = {
        lfs_mktag(LFS_TYPE_USERATTR + type, id, size), buffer};
    return lfs_dir_commit(lfs, &cwd, &attr, 1);
}

int lfs_rawsetattr(lfs_t *lfs, const char *path,
        uint8_t type, const void *buffer, lfs_size_t size) {
    if (size > lfs->attr_max) {
        return LFS_ERR_NOSPC;
    }
    return lfs_commitattr(lfs, path, type, buffer, size);
}

int lfs_rawremoveattr(lfs_t *lfs, const char *path, uint8_t type) {
    return lfs_commitattr(lfs, path, type, NULL, 0x3ff);
}
