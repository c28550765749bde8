/*
 * lfs.h - the public interface of brownout's filesystem core.
 *
 * Names, values and signatures follow the littlefs v2 public C API, so
 * firmware written against littlefs builds against this core unchanged, and
 * the torture harness can drive either implementation.  The semantics are
 * littlefs's: see docs/ and the littlefs design and spec documents.
 *
 * The structs lfs_t, lfs_file_t and lfs_dir_t are allocated by the caller
 * but their contents are private to the core.  Their size is fixed by the
 * configuration macros below, never by the size of the filesystem.
 */
#ifndef LFS_H
#define LFS_H

#include <stdint.h>
#include <stdbool.h>
#include "lfs_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this API (major in the high 16 bits) and of the newest
 * on-disk format it writes. */
#define LFS_VERSION 0x0002000b
#define LFS_VERSION_MAJOR (0xffff & (LFS_VERSION >> 16))
#define LFS_VERSION_MINOR (0xffff & (LFS_VERSION >> 0))

#define LFS_DISK_VERSION 0x00020001
#define LFS_DISK_VERSION_MAJOR (0xffff & (LFS_DISK_VERSION >> 16))
#define LFS_DISK_VERSION_MINOR (0xffff & (LFS_DISK_VERSION >> 0))

typedef uint32_t lfs_size_t;
typedef uint32_t lfs_off_t;
typedef int32_t lfs_ssize_t;
typedef int32_t lfs_soff_t;
typedef uint32_t lfs_block_t;

/* Limits; each may be lowered at build time and is stored in the superblock. */
#ifndef LFS_NAME_MAX
#define LFS_NAME_MAX 255
#endif
#ifndef LFS_FILE_MAX
#define LFS_FILE_MAX 2147483647
#endif
#ifndef LFS_ATTR_MAX
#define LFS_ATTR_MAX 1022
#endif

/* Metadata pairs a mount remembers having written before it rewrites all
 * of them once (brownout's own, see lfs_settle.c); 4 bytes each. */
#ifndef LFS_SETTLE_RING
#define LFS_SETTLE_RING 8
#endif

enum lfs_error {
    LFS_ERR_OK          = 0,
    LFS_ERR_IO          = -5,
    LFS_ERR_CORRUPT     = -84,
    LFS_ERR_NOENT       = -2,
    LFS_ERR_EXIST       = -17,
    LFS_ERR_NOTDIR      = -20,
    LFS_ERR_ISDIR       = -21,
    LFS_ERR_NOTEMPTY    = -39,
    LFS_ERR_BADF        = -9,
    LFS_ERR_FBIG        = -27,
    LFS_ERR_INVAL       = -22,
    LFS_ERR_NOSPC       = -28,
    LFS_ERR_NOMEM       = -12,
    LFS_ERR_NOATTR      = -61,
    LFS_ERR_NAMETOOLONG = -36,
};

/* Entry types as reported in struct lfs_info. */
enum lfs_type {
    LFS_TYPE_REG = 0x001,
    LFS_TYPE_DIR = 0x002,
};

enum lfs_open_flags {
    LFS_O_RDONLY = 1,
    LFS_O_WRONLY = 2,
    LFS_O_RDWR   = 3,
    LFS_O_CREAT  = 0x0100,
    LFS_O_EXCL   = 0x0200,
    LFS_O_TRUNC  = 0x0400,
    LFS_O_APPEND = 0x0800,
};

enum lfs_whence_flags {
    LFS_SEEK_SET = 0,
    LFS_SEEK_CUR = 1,
    LFS_SEEK_END = 2,
};

/* How the core reaches the block device, and how it sizes itself. */
struct lfs_config {
    void *context;

    int (*read)(const struct lfs_config *c, lfs_block_t block,
            lfs_off_t off, void *buffer, lfs_size_t size);
    int (*prog)(const struct lfs_config *c, lfs_block_t block,
            lfs_off_t off, const void *buffer, lfs_size_t size);
    int (*erase)(const struct lfs_config *c, lfs_block_t block);
    int (*sync)(const struct lfs_config *c);

#ifdef LFS_THREADSAFE
    int (*lock)(const struct lfs_config *c);
    int (*unlock)(const struct lfs_config *c);
#endif

    lfs_size_t read_size;
    lfs_size_t prog_size;
    lfs_size_t block_size;
    lfs_size_t block_count;     /* 0: take it from the superblock */
    int32_t block_cycles;       /* -1: no metadata eviction */
    lfs_size_t cache_size;
    lfs_size_t lookahead_size;
    lfs_size_t compact_thresh;  /* 0: 7/8 of a block; -1: gc never compacts */

    void *read_buffer;
    void *prog_buffer;
    void *lookahead_buffer;

    lfs_size_t name_max;
    lfs_size_t file_max;
    lfs_size_t attr_max;
    lfs_size_t metadata_max;
    lfs_size_t inline_max;

#ifdef LFS_MULTIVERSION
    uint32_t disk_version;      /* 0x00020000 writes on-disk version 2.0 */
#endif
};

struct lfs_info {
    uint8_t type;
    lfs_size_t size;
    char name[LFS_NAME_MAX+1];
};

struct lfs_fsinfo {
    uint32_t disk_version;
    lfs_size_t block_size;
    lfs_size_t block_count;
    lfs_size_t name_max;
    lfs_size_t file_max;
    lfs_size_t attr_max;
};

struct lfs_attr {
    uint8_t type;
    void *buffer;
    lfs_size_t size;
};

struct lfs_file_config {
    void *buffer;
    struct lfs_attr *attrs;
    lfs_size_t attr_count;
};

/* ---- private state, sized by the configuration only ---------------------
 * The core owns these layouts; users only allocate them. */
typedef struct lfs lfs_t;
typedef struct lfs_file lfs_file_t;
typedef struct lfs_dir lfs_dir_t;

/* A window of cached bytes of one block, or of an inline file's data when
 * block is LFS_BLOCK_INLINE.  The buffer is cache_size bytes. */
typedef struct lfs_cache {
    lfs_block_t block;
    lfs_off_t off;
    lfs_size_t size;
    uint8_t *buffer;
} lfs_cache_t;

/* A fetched metadata pair: which block holds its newest valid commit, where
 * that commit ends, and what the log says about the pair itself. */
typedef struct lfs_mdir {
    lfs_block_t pair[2];    /* pair[0]: the block in use */
    uint32_t rev;           /* revision count of pair[0] */
    lfs_off_t off;          /* end of the last valid commit */
    uint32_t etag;          /* tag the next commit chains its tags from */
    uint16_t count;         /* number of ids in the pair */
    bool erased;            /* bytes after off are known erased */
    bool split;             /* tail is a hard tail: the directory goes on */
    lfs_block_t tail[2];    /* next pair in the threaded list, or null */
} lfs_mdir_t;

/* Global state: the xor of every pair's delta.  tag holds a pending move
 * (type and id, source pair in pair) and the orphan count in its size. */
typedef struct lfs_gstate {
    uint32_t tag;
    lfs_block_t pair[2];
} lfs_gstate_t;

/* Brent's cycle detector for one walk along a chain of metadata pairs. */
typedef struct lfs_chainwalk {
    lfs_block_t pair[2];
    lfs_size_t steps;
    lfs_size_t power;
} lfs_chainwalk_t;

/* Open files and directories are kept in a list so commits can keep their
 * view of the pairs they live in up to date.  lfs_dir and lfs_file start
 * with the same fields as lfs_mlist, in the same order. */
typedef struct lfs_mlist {
    struct lfs_mlist *next;
    uint16_t id;
    uint8_t type;           /* LFS_TYPE_REG, LFS_TYPE_DIR, or 0 */
    lfs_mdir_t m;
} lfs_mlist_t;

struct lfs_dir {
    struct lfs_dir *next;   /* open-handle list (lfs_mlist) */
    uint16_t id;            /* next id to read in m */
    uint8_t type;           /* LFS_TYPE_DIR */
    lfs_mdir_t m;           /* pair being read */
    lfs_block_t head[2];    /* first pair of the directory */
    lfs_off_t pos;          /* position as lfs_dir_tell reports it */
    lfs_chainwalk_t walk;   /* loop guard over the hard-tail chain */
};

struct lfs_file {
    struct lfs_file *next;  /* open-handle list (lfs_mlist) */
    uint16_t id;            /* id of the entry in m */
    uint8_t type;           /* LFS_TYPE_REG */
    lfs_mdir_t m;           /* pair holding the file's entry */
    uint32_t flags;         /* LFS_O_* and internal LFS_F_* */
    lfs_off_t pos;          /* file position */
    lfs_block_t block;      /* block of pos while reading */
    lfs_off_t off;          /* offset of pos in block */
    struct lfs_ctz {
        lfs_block_t head;   /* last block of the skip-list */
        lfs_size_t size;    /* file size */
    } ctz;
    lfs_cache_t cache;      /* the file's own read window */
    const struct lfs_file_config *cfg;
};

struct lfs {
    const struct lfs_config *cfg;
    lfs_cache_t rcache;     /* read cache for metadata */
    lfs_cache_t pcache;     /* program cache (used by the write path) */
    lfs_block_t root[2];    /* root directory pair */
    lfs_gstate_t gstate;    /* global state summed at mount */
    lfs_gstate_t gdisk;     /* global state as it is on disk */
    uint32_t seed;          /* mixed from commit CRCs; seeds the allocator */
    uint32_t disk_version;  /* on-disk version from the superblock */
    lfs_size_t block_count; /* from the config, or from disk if that is 0 */
    lfs_size_t name_max;
    lfs_size_t file_max;
    lfs_size_t attr_max;
    lfs_size_t inline_max;  /* largest inline file */
    lfs_mlist_t *mlist;     /* open files and directories */
    lfs_gstate_t gdelta;    /* delta taken over from a dropped pair */
    bool needssuperblock;   /* superblock to rewrite at the next write */
    bool gunknown;          /* gdisk to reread before the next write */
    struct lfs_lookahead {
        lfs_block_t start;  /* first block of the window */
        lfs_block_t size;   /* blocks in the window */
        lfs_block_t next;   /* next block of the window to hand out */
        lfs_block_t ckpoint;/* blocks left before the disk counts as full */
        uint8_t *buffer;    /* one bit per block of the window, 1 = in use */
    } lookahead;
    struct lfs_settle {     /* logs safe to append to (lfs_settle.c) */
        lfs_block_t ring[LFS_SETTLE_RING]; /* blocks whose log we wrote */
        uint8_t next;       /* ring slot to fill next */
        bool overflowed;    /* more pairs written than the ring holds */
        bool all;           /* every pair rewritten since mount */
    } settle;
};

/* Filesystem */
int lfs_format(lfs_t *lfs, const struct lfs_config *config);
int lfs_mount(lfs_t *lfs, const struct lfs_config *config);
int lfs_unmount(lfs_t *lfs);

/* Namespace */
int lfs_remove(lfs_t *lfs, const char *path);
int lfs_rename(lfs_t *lfs, const char *oldpath, const char *newpath);
int lfs_stat(lfs_t *lfs, const char *path, struct lfs_info *info);
lfs_ssize_t lfs_getattr(lfs_t *lfs, const char *path,
        uint8_t type, void *buffer, lfs_size_t size);
int lfs_setattr(lfs_t *lfs, const char *path,
        uint8_t type, const void *buffer, lfs_size_t size);
int lfs_removeattr(lfs_t *lfs, const char *path, uint8_t type);

/* Files */
int lfs_file_open(lfs_t *lfs, lfs_file_t *file, const char *path, int flags);
int lfs_file_opencfg(lfs_t *lfs, lfs_file_t *file, const char *path,
        int flags, const struct lfs_file_config *config);
int lfs_file_close(lfs_t *lfs, lfs_file_t *file);
int lfs_file_sync(lfs_t *lfs, lfs_file_t *file);
lfs_ssize_t lfs_file_read(lfs_t *lfs, lfs_file_t *file,
        void *buffer, lfs_size_t size);
lfs_ssize_t lfs_file_write(lfs_t *lfs, lfs_file_t *file,
        const void *buffer, lfs_size_t size);
lfs_soff_t lfs_file_seek(lfs_t *lfs, lfs_file_t *file,
        lfs_soff_t off, int whence);
int lfs_file_truncate(lfs_t *lfs, lfs_file_t *file, lfs_off_t size);
lfs_soff_t lfs_file_tell(lfs_t *lfs, lfs_file_t *file);
int lfs_file_rewind(lfs_t *lfs, lfs_file_t *file);
lfs_soff_t lfs_file_size(lfs_t *lfs, lfs_file_t *file);

/* Directories */
int lfs_mkdir(lfs_t *lfs, const char *path);
int lfs_dir_open(lfs_t *lfs, lfs_dir_t *dir, const char *path);
int lfs_dir_close(lfs_t *lfs, lfs_dir_t *dir);
int lfs_dir_read(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info);
int lfs_dir_seek(lfs_t *lfs, lfs_dir_t *dir, lfs_off_t off);
lfs_soff_t lfs_dir_tell(lfs_t *lfs, lfs_dir_t *dir);
int lfs_dir_rewind(lfs_t *lfs, lfs_dir_t *dir);

/* Filesystem-level */
int lfs_fs_stat(lfs_t *lfs, struct lfs_fsinfo *fsinfo);
lfs_ssize_t lfs_fs_size(lfs_t *lfs);
int lfs_fs_traverse(lfs_t *lfs, int (*cb)(void *data, lfs_block_t block),
        void *data);
int lfs_fs_mkconsistent(lfs_t *lfs);
int lfs_fs_gc(lfs_t *lfs);
int lfs_fs_grow(lfs_t *lfs, lfs_size_t block_count);

#ifdef __cplusplus
}
#endif

#endif
