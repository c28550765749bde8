/*
 * lfs_kv.h - a key-value view over a littlefs-API filesystem, with the
 * semantics of MirageOS's Mirage_kv.RW (as chamelon offers them) and
 * chamelon's on-disk conventions, so images move between the two.
 *
 * Keys are paths: "/a/b/c" (the leading '/' is optional, repeated and
 * trailing '/' are ignored); "" and "/" are the root. Every prefix of a key
 * is a dictionary (a littlefs directory); a value is a littlefs file whose
 * custom attribute 0x74 holds its modification time (12 bytes: LE uint32
 * days since the Unix epoch, LE uint64 picoseconds within the day).
 *
 * Errors: every call returns 0 or a negative littlefs error code:
 *   LFS_ERR_NOENT   Not_found              LFS_ERR_NOTDIR  Dictionary_expected
 *   LFS_ERR_ISDIR   Value_expected         LFS_ERR_NOSPC   No_space
 *   LFS_ERR_EXIST   Already_present        LFS_ERR_INVAL   Rename_source_prefix,
 *                                                          or a malformed key
 * LFS_ERR_IO, LFS_ERR_CORRUPT and LFS_ERR_NAMETOOLONG (a component longer
 * than the filesystem's name_max, a key longer than KV_KEY_MAX bytes or
 * deeper than KV_DEPTH_MAX components) keep their own codes; they are never
 * folded into "not found". Reads of a key whose path crosses a value
 * report LFS_ERR_NOENT (the key does not exist); writes report
 * LFS_ERR_NOTDIR.
 *
 * Atomicity (each proven by power cuts at every write in tests/unit/test_kv*):
 * - kv_set / kv_set_partial of an existing value open it in place (O_TRUNC
 *   for set) and write the data and the timestamp in the single commit of
 *   the file's sync; littlefs files are copy-on-write, so a cut leaves the
 *   old value or the new one. This is the cheapest atomic update: one
 *   metadata commit, no extra directory entry.
 * - A new key (kv_set, kv_set_partial, kv_allocate) cannot be created in
 *   place: opening with O_CREAT commits an empty file at once. Its value is
 *   written to the reserved sibling KV_TEMP_NAME and renamed over the key
 *   (one commit in the same directory). A temp left by a cut is invisible
 *   to every call (the name is refused as a key component with
 *   LFS_ERR_INVAL and skipped by listings, sizes and digests); the next
 *   write into its directory removes or reuses it, kv_mount removes the
 *   root's, and kv_remove of the directory removes it.
 * - Missing parent dictionaries are created first (one mkdir each); a cut
 *   may leave them, empty. The binding itself is old-or-new.
 * - kv_rename of a value is one lfs_rename (atomic in littlefs, also across
 *   directories). A dictionary moves with one lfs_rename too.
 * - kv_remove of a dictionary removes entry by entry, depth first: a cut
 *   leaves every key either fully present or gone; repeat the call.
 *
 * Memory: a kv_t holds its path buffers; no call allocates (files use
 * cfg->file_buffer when given, else littlefs allocates its cache), and no
 * call recurses: tree walks are iterative over at most KV_DEPTH_MAX levels
 * with a fixed-size state per level (one open lfs_dir_t each, on the stack:
 * a few KiB at the default depth).
 *
 * Cost: a walk (kv_list, kv_size, kv_last_modified, kv_digest of a
 * dictionary) reads each directory once (plus one order-check pass).
 * kv_last_modified and kv_digest must also look each value up by path
 * (lfs_getattr / lfs_file_open; littlefs has no attribute read through a
 * directory handle), which scans the value's directory: on very wide
 * directories those two remain quadratic in device reads.
 *
 * Semantic choices (against Mirage_kv.RW v6 as chamelon implements it):
 * - A read whose path crosses a value ("a/b" when "a" is a value) is
 *   Not_found: the key does not exist. A write there is
 *   Dictionary_expected (the table), as are kv_list of a value
 *   and kv_rename onto a path crossing a value.
 * - kv_get into a too-small buffer: LFS_ERR_FBIG with the needed length in
 *   *len (Mirage returns the string; C needs the size to allocate).
 * - kv_get / kv_get_partial of a dictionary: Value_expected.
 * - kv_exists of a key under a missing parent or a value: KV_NONE, 0.
 * - kv_allocate on any existing key (value or dictionary): Already_present.
 * - kv_remove of the root empties it and keeps it (Mirage: the root
 *   always exists); of a missing key: Not_found.
 * - kv_rename: the source a prefix of the destination, or the root as
 *   source: Rename_source_prefix (LFS_ERR_INVAL); source == dest: 0.
 * - Names: "." and ".." components and KV_TEMP_NAME are LFS_ERR_INVAL.
 *
 * Listing order: kv_list and kv_digest visit children in byte order of
 * their names. littlefs keeps directory entries sorted, which a walk checks
 * once per directory (one extra read pass); a directory written out of
 * order by another tool is read by selection instead (O(n^2) reads).
 *
 * Not thread-safe: one kv_t per thread, and nothing else may write the
 * filesystem while it is mounted through kv.
 */
#ifndef LFS_KV_H
#define LFS_KV_H

#include <stdint.h>
#include "lfs.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KV_KEY_MAX
#define KV_KEY_MAX 255          /* bytes of a normalized key (no leading '/') */
#endif
#ifndef KV_DEPTH_MAX
#define KV_DEPTH_MAX 32         /* components of a key, levels of a walk */
#endif

#define KV_ATTR_TIME 0x74       /* the timestamp attribute, as chamelon */
#define KV_TIME_SIZE 12
#define KV_TEMP_NAME ".kv-tmp"  /* reserved: a value being created */
#define KV_DIGEST_SIZE 32

/* A point in time: days since 1970-01-01 and picoseconds within the day
 * (< 86400 * 10^12). */
struct kv_time {
    uint32_t days;
    uint64_t ps;
};

enum kv_kind {
    KV_NONE = 0,
    KV_VALUE = 1,
    KV_DICTIONARY = 2,
};

struct kv_config {
    const struct lfs_config *lfs;   /* the filesystem's configuration */
    /* The clock: fills *now, returns 0 or a negative error (passed on).
     * NULL: every timestamp is the epoch (0, 0). */
    int (*clock)(void *ctx, struct kv_time *now);
    void *clock_ctx;
    /* Optional cache_size bytes for the one file kv opens at a time. */
    void *file_buffer;
    /* Nonzero: read every directory by selection (as if out of order);
     * correct for any image, O(n^2) directory reads per listing. */
    int unordered_dirs;
};

typedef struct kv {
    lfs_t lfs;
    const struct kv_config *cfg;
    lfs_size_t name_max;
    char key[KV_KEY_MAX + 1];       /* the normalized key of a call */
    char key2[KV_KEY_MAX + 1];      /* a second key (rename), or a derived one */
    char temp[KV_KEY_MAX + 1 + sizeof(KV_TEMP_NAME)];
    char walk[KV_KEY_MAX + 1];      /* the path a tree walk is at */
    struct lfs_info info;
    struct lfs_file_config fcfg;    /* of the one file kv has open */
    struct lfs_attr fattr;
    uint8_t ftime[KV_TIME_SIZE];
} kv_t;

/* Formats the filesystem (an empty root dictionary). */
int kv_format(kv_t *kv, const struct kv_config *cfg);
int kv_mount(kv_t *kv, const struct kv_config *cfg);
int kv_unmount(kv_t *kv);

/* KV_NONE when the key or any parent is missing or a value. */
int kv_exists(kv_t *kv, const char *key, enum kv_kind *kind);

/* The whole value. *len receives its size; when it exceeds cap nothing is
 * read and LFS_ERR_FBIG is returned (so *len says what to allocate). */
int kv_get(kv_t *kv, const char *key, void *buf, lfs_size_t cap, lfs_size_t *len);
/* Up to len bytes from offset; *n is short at the end, 0 at or past it. */
int kv_get_partial(kv_t *kv, const char *key, lfs_off_t offset,
        void *buf, lfs_size_t len, lfs_size_t *n);

/* Calls cb with the absolute key ("/a/b") and kind of each child, in name
 * order. cb returns 0 to go on; anything else stops the listing and is
 * returned. LFS_ERR_NOTDIR on a value. The key passed is valid during the
 * call only; cb must not call kv. */
typedef int (*kv_list_cb)(void *ctx, const char *key, enum kv_kind kind);
int kv_list(kv_t *kv, const char *key, kv_list_cb cb, void *ctx);

/* A value's timestamp (the epoch if it has none); for a dictionary, the
 * latest over all its descendant values (the epoch if there are none). */
int kv_last_modified(kv_t *kv, const char *key, struct kv_time *t);

/* A value: SHA-256 of its bytes (as chamelon). A dictionary: SHA-256 of
 * "kvd1" then, for each child in name order, either
 *   'v' u16le(namelen) name u64le(size) bytes
 *   'd' u16le(namelen) name <its children, the same way> 'e'
 * a prefix-free encoding, so different trees give different inputs. */
int kv_digest(kv_t *kv, const char *key, uint8_t out[KV_DIGEST_SIZE]);

/* A value's length, or the total length of a dictionary's values. */
int kv_size(kv_t *kv, const char *key, uint64_t *size);

/* Binds key to data, creating missing parents. LFS_ERR_NOTDIR if the path
 * crosses a value, LFS_ERR_ISDIR if key is a dictionary (never replaced). */
int kv_set(kv_t *kv, const char *key, const void *data, lfs_size_t len);
/* Writes data at offset into the value, creating it (zero-filled before
 * offset) if missing; bytes beyond the write are kept. */
int kv_set_partial(kv_t *kv, const char *key, lfs_off_t offset,
        const void *data, lfs_size_t len);
/* A new zero-filled value of size bytes, with timestamp *t (NULL: now).
 * LFS_ERR_EXIST if the key exists. */
int kv_allocate(kv_t *kv, const char *key, lfs_size_t size, const struct kv_time *t);

/* Removes a value, or a dictionary and everything under it (the root:
 * everything under it; the root stays). LFS_ERR_NOENT if missing. */
int kv_remove(kv_t *kv, const char *key);

/* Moves source to dest:
 *   value -> missing or value    dest is (atomically) replaced
 *   any   -> dictionary          source moves inside it, as dest/<name>
 *                                (a value there is replaced by a value;
 *                                a dictionary there is LFS_ERR_ISDIR for a
 *                                value source, LFS_ERR_EXIST for another)
 *   dictionary -> value          LFS_ERR_ISDIR
 *   dest under source, or source the root: LFS_ERR_INVAL
 * Missing parents of dest are created. source == dest: nothing to do. */
int kv_rename(kv_t *kv, const char *source, const char *dest);

/* The timestamp attribute's bytes. */
void kv_time_encode(const struct kv_time *t, uint8_t out[KV_TIME_SIZE]);
void kv_time_decode(const uint8_t in[KV_TIME_SIZE], struct kv_time *t);
/* <0, 0, >0 as a is earlier, equal, later than b. */
int kv_time_cmp(const struct kv_time *a, const struct kv_time *b);

#ifdef __cplusplus
}
#endif

#endif
