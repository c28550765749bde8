/*
 * lfs_internal.h - what the core's layers offer each other.
 *
 * Layers, top down; requests only go down:
 *   lfs.c                      public API: argument checks, dispatch
 *   lfs_mount.c lfs_fs.c       mount/superblock, filesystem-wide calls
 *   lfs_dir.c lfs_file.c       directories and lookups, files
 *   lfs_path.c                 path parsing (pure string work)
 *   lfs_settle.c               which pairs may be appended to
 *   lfs_mdir.c lfs_ctz.c       metadata pairs, CTZ skip-lists
 *   lfs_gstate.c               global state (used by mdir and mount)
 *   lfs_cache.c                block cache over the device callbacks
 * The "raw" functions assume their arguments were checked by lfs.c.
 */
#ifndef LFS_INTERNAL_H
#define LFS_INTERNAL_H

#include "lfs.h"
#include "lfs_tag.h"

/* Internal file flags, above the LFS_O_* bits. */
#define LFS_F_DIRTY   0x010000u /* ctz or attrs differ from the disk */
#define LFS_F_WRITING 0x020000u /* file->cache holds unwritten data */
#define LFS_F_READING 0x040000u /* block/off locate pos */
#define LFS_F_ERRED   0x080000u /* a write failed: sync does nothing */
#define LFS_F_INLINE  0x100000u /* data lives in the metadata pair */
#define LFS_F_MOVE    0x200000u /* the block holds progged bytes past off:
                                 * relocate before writing to it again */

/* Results of comparing on-disk bytes with a buffer. */
enum lfs_cmp {
    LFS_CMP_EQ = 0,
    LFS_CMP_LT = 1,     /* disk < buffer */
    LFS_CMP_GT = 2,     /* disk > buffer */
};

/* ---- lfs_cache.c -------------------------------------------------------- */
void lfs_cache_drop(lfs_cache_t *cache);
void lfs_cache_zero(const lfs_t *lfs, lfs_cache_t *cache);
int lfs_bd_read(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off,
        void *buffer, lfs_size_t size);
int lfs_bd_crc(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off, lfs_size_t size,
        uint32_t *crc);
int lfs_bd_cmp(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache,
        lfs_size_t hint, lfs_block_t block, lfs_off_t off,
        const void *buffer, lfs_size_t size);

/* ---- lfs_gstate.c ------------------------------------------------------- */
void lfs_gstate_xor(lfs_gstate_t *a, const lfs_gstate_t *b);
bool lfs_gstate_iszero(const lfs_gstate_t *a);
uint32_t lfs_gstate_orphans(const lfs_gstate_t *a);
bool lfs_gstate_hasmove(const lfs_gstate_t *a);
bool lfs_gstate_hasmovehere(const lfs_gstate_t *a, const lfs_block_t pair[2]);
void lfs_gstate_fromdisk(lfs_gstate_t *a, const uint8_t raw[12]);
int lfs_gstate_collect(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_gstate_t *gstate);
void lfs_gstate_finish(lfs_gstate_t *a);

/* ---- lfs_mdir.c --------------------------------------------------------- */
bool lfs_pair_isnull(const lfs_block_t pair[2]);
bool lfs_pair_sharesblock(const lfs_block_t a[2], const lfs_block_t b[2]);
bool lfs_pair_issame(const lfs_block_t a[2], const lfs_block_t b[2]);
void lfs_pair_fromdisk(lfs_block_t pair[2], const uint8_t raw[8]);
int lfs_mdir_newest(uint32_t rev0, bool ok0, uint32_t rev1, bool ok1);

/* Called by a fetch for every tag it walks that matches (fmask, ftag);
 * (block, off) locate the tag's data.  Returns an lfs_cmp result, or a
 * negative error (LFS_ERR_CORRUPT rejects the commit). */
typedef int (*lfs_mdir_match_t)(void *data, lfs_tag_t tag,
        lfs_block_t block, lfs_off_t off);

/* Match argument for lfs_mdir_namecmp: compares name tags with a name. */
struct lfs_mdir_name {
    lfs_t *lfs;
    const void *name;
    lfs_size_t size;
};
int lfs_mdir_namecmp(void *data, lfs_tag_t tag,
        lfs_block_t block, lfs_off_t off);

lfs_stag_t lfs_mdir_fetchmatch(lfs_t *lfs, lfs_mdir_t *dir,
        const lfs_block_t pair[2], lfs_tag_t fmask, lfs_tag_t ftag,
        uint16_t *id, lfs_mdir_match_t match, void *data);
int lfs_mdir_fetch(lfs_t *lfs, lfs_mdir_t *dir, const lfs_block_t pair[2]);
lfs_stag_t lfs_mdir_getslice(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_tag_t gmask, lfs_tag_t gtag,
        lfs_off_t goff, void *gbuffer, lfs_size_t gsize);
lfs_stag_t lfs_mdir_get(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_tag_t gmask, lfs_tag_t gtag, void *buffer);
int lfs_mdir_getread(lfs_t *lfs, const lfs_mdir_t *dir,
        lfs_cache_t *rcache, lfs_size_t hint,
        lfs_tag_t gmask, lfs_tag_t gtag,
        lfs_off_t off, void *buffer, lfs_size_t size);

/* Cycle detection along tail chains (Brent).  Start a walk, then step it
 * with each pair about to be fetched; a repeat gives LFS_ERR_CORRUPT. */
void lfs_chainwalk_start(lfs_chainwalk_t *walk);
int lfs_chainwalk_step(lfs_chainwalk_t *walk, const lfs_block_t pair[2]);
/* One step along a tail chain: fetch the pair dir->tail names into dir,
 * failing with LFS_ERR_CORRUPT if the chain loops. */
int lfs_mdir_fetchtail(lfs_t *lfs, lfs_chainwalk_t *walk, lfs_mdir_t *dir);

/* ---- lfs_ctz.c ---------------------------------------------------------- */
lfs_off_t lfs_ctz_index(lfs_size_t block_size, lfs_off_t *off);
int lfs_ctz_find(lfs_t *lfs, lfs_cache_t *rcache,
        lfs_block_t head, lfs_size_t size, lfs_off_t pos,
        lfs_block_t *block, lfs_off_t *off);
int lfs_ctz_check(const lfs_t *lfs, lfs_block_t head, lfs_size_t size);
int lfs_ctz_traverse(lfs_t *lfs, lfs_cache_t *rcache,
        lfs_block_t head, lfs_size_t size,
        int (*cb)(void *data, lfs_block_t block), void *data);

/* ---- lfs_path.c --------------------------------------------------------- */
lfs_ssize_t lfs_path_next(const char **path, bool isdir);

/* ---- lfs_dir.c ---------------------------------------------------------- */
lfs_stag_t lfs_dir_lookup(lfs_t *lfs, lfs_mdir_t *dir, const char **path,
        uint16_t *id);
int lfs_dir_entryinfo(lfs_t *lfs, lfs_mdir_t *dir, uint16_t id,
        struct lfs_info *info);
int lfs_rawstat(lfs_t *lfs, const char *path, struct lfs_info *info);
int lfs_dir_rawopen(lfs_t *lfs, lfs_dir_t *dir, const char *path);
int lfs_dir_rawclose(lfs_t *lfs, lfs_dir_t *dir);
int lfs_dir_rawread(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info);
int lfs_dir_rawseek(lfs_t *lfs, lfs_dir_t *dir, lfs_off_t off);
lfs_soff_t lfs_dir_rawtell(lfs_t *lfs, lfs_dir_t *dir);
int lfs_dir_rawrewind(lfs_t *lfs, lfs_dir_t *dir);

/* ---- lfs_file.c --------------------------------------------------------- */
int lfs_file_rawopencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *cfg);
int lfs_file_rawclose(lfs_t *lfs, lfs_file_t *file);
lfs_ssize_t lfs_file_rawread(lfs_t *lfs, lfs_file_t *file,
        void *buffer, lfs_size_t size);
lfs_soff_t lfs_file_rawseek(lfs_t *lfs, lfs_file_t *file,
        lfs_soff_t off, int whence);
lfs_soff_t lfs_file_rawtell(lfs_t *lfs, lfs_file_t *file);
lfs_soff_t lfs_file_rawsize(lfs_t *lfs, lfs_file_t *file);

/* ---- lfs_mount.c -------------------------------------------------------- */
int lfs_init(lfs_t *lfs, const struct lfs_config *cfg);
void lfs_deinit(lfs_t *lfs);
int lfs_rawmount(lfs_t *lfs, const struct lfs_config *cfg);
int lfs_rawunmount(lfs_t *lfs);

/* ---- lfs_fs.c ----------------------------------------------------------- */
lfs_ssize_t lfs_rawgetattr(lfs_t *lfs, const char *path,
        uint8_t type, void *buffer, lfs_size_t size);
int lfs_fs_rawstat(lfs_t *lfs, struct lfs_fsinfo *fsinfo);
int lfs_fs_rawtraverse(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data,
        bool includeorphans);
int lfs_fs_traversehalforphans(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data);
lfs_ssize_t lfs_fs_rawsize(lfs_t *lfs);

/* ==== the write path (issue 5) ======================================== */

/* The on-disk version this mount writes (config, or the newest). */
uint32_t lfs_fs_disk_version(const lfs_t *lfs);

/* ---- lfs_prog.c: programming through a cache ---------------------------- */
int lfs_bd_prog(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate, lfs_block_t block, lfs_off_t off,
        const void *buffer, lfs_size_t size);
int lfs_bd_flush(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate);
int lfs_bd_sync(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache,
        bool validate);
int lfs_bd_erase(lfs_t *lfs, lfs_block_t block);

/* ---- lfs_alloc.c: the lookahead block allocator ------------------------- */
void lfs_alloc_ckpoint(lfs_t *lfs);
void lfs_alloc_drop(lfs_t *lfs);
int lfs_alloc_scan(lfs_t *lfs);
int lfs_alloc(lfs_t *lfs, lfs_block_t *block);

/* ---- lfs_commit.c: writing commits and compactions into a pair ---------- */

/* Pseudo tag types, only in attribute lists handed to a commit:
 *   FROM_MOVE       id = destination id, size = source id, buffer = the
 *                   source lfs_mdir_t; copies the entry's struct and
 *                   user attributes.
 *   FROM_USERATTRS  buffer = struct lfs_attr[size]; each becomes a
 *                   user-attribute tag of the id. */
#define LFS_FROM_MOVE       0x101
#define LFS_FROM_USERATTRS  0x102

struct lfs_mattr {
    lfs_tag_t tag;
    const void *buffer;
};

/* Commit results above 0: what else the filesystem needs. */
enum lfs_commit_state {
    LFS_OK_RELOCATED = 1,   /* the pair moved to other blocks */
    LFS_OK_DROPPED   = 2,   /* the pair became empty, unlink it */
    LFS_OK_ORPHANED  = 3,   /* a relocation left orphans to clean */
};

bool lfs_dir_needsrelocation(const lfs_t *lfs, const lfs_mdir_t *dir);
int lfs_dir_alloc(lfs_t *lfs, lfs_mdir_t *dir);
int lfs_dir_append(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count);
int lfs_dir_splittingcompact(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count,
        const lfs_mdir_t *source, uint16_t begin, uint16_t end);

/* ---- lfs_mdir_commit.c: commits that keep the filesystem consistent ----- */
void lfs_mlist_append(lfs_t *lfs, lfs_mlist_t *m);
void lfs_mlist_remove(lfs_t *lfs, lfs_mlist_t *m);
int lfs_dir_orphaningcommit(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count);
int lfs_dir_commit(lfs_t *lfs, lfs_mdir_t *dir,
        const struct lfs_mattr *attrs, int count);
int lfs_dir_drop(lfs_t *lfs, lfs_mdir_t *dir, lfs_mdir_t *tail);
int lfs_dir_compacteach(lfs_t *lfs,
        bool (*stale)(const lfs_t *lfs, const lfs_mdir_t *dir));

/* ---- lfs_orphan.c: global state, moves, orphans ------------------------- */
void lfs_fs_prepmove(lfs_t *lfs, uint16_t id, const lfs_block_t pair[2]);
int lfs_fs_preporphans(lfs_t *lfs, int orphans);
void lfs_fs_dropgstate(lfs_t *lfs);
int lfs_fs_knowgstate(lfs_t *lfs);
int lfs_fs_pred(lfs_t *lfs, const lfs_block_t pair[2], lfs_mdir_t *pdir);
lfs_stag_t lfs_fs_parent(lfs_t *lfs, const lfs_block_t pair[2],
        lfs_mdir_t *parent);
int lfs_fs_deorphan(lfs_t *lfs, bool powerloss);
int lfs_fs_forceconsistency(lfs_t *lfs);
int lfs_fs_rawmkconsistent(lfs_t *lfs);

/* ---- lfs_settle.c: logs this mount may append to ------------------------ */
void lfs_settle_reset(lfs_t *lfs);
bool lfs_settle_canappend(const lfs_t *lfs, const lfs_mdir_t *dir);
void lfs_settle_wrote(lfs_t *lfs, const lfs_mdir_t *dir);
int lfs_settle_all(lfs_t *lfs);
int lfs_settle_ifoverflowed(lfs_t *lfs);

/* ---- lfs_format.c, lfs_fs_write.c --------------------------------------- */
int lfs_rawformat(lfs_t *lfs, const struct lfs_config *cfg);
int lfs_fs_rawgc(lfs_t *lfs);
int lfs_fs_rawgrow(lfs_t *lfs, lfs_size_t block_count);

/* ---- lfs_namespace.c ---------------------------------------------------- */
int lfs_rawmkdir(lfs_t *lfs, const char *path);
int lfs_rawremove(lfs_t *lfs, const char *path);
int lfs_rawrename(lfs_t *lfs, const char *oldpath, const char *newpath);
int lfs_rawsetattr(lfs_t *lfs, const char *path,
        uint8_t type, const void *buffer, lfs_size_t size);
int lfs_rawremoveattr(lfs_t *lfs, const char *path, uint8_t type);
bool lfs_path_islast(const char *path);
lfs_size_t lfs_path_namelen(const char *path);

/* ---- lfs_file_write.c --------------------------------------------------- */
int lfs_file_opencreate(lfs_t *lfs, lfs_file_t *file, lfs_stag_t tag,
        const char *path);
int lfs_file_flush(lfs_t *lfs, lfs_file_t *file);
lfs_ssize_t lfs_file_rawwrite(lfs_t *lfs, lfs_file_t *file,
        const void *buffer, lfs_size_t size);
int lfs_file_rawsync(lfs_t *lfs, lfs_file_t *file);
int lfs_file_rawtruncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size);
int lfs_file_traverseopen(lfs_t *lfs,
        int (*cb)(void *data, lfs_block_t block), void *data);

#endif
