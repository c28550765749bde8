/*
 * recovery.c - the usability and structural check run on every crashed
 * state, through the public API of a fresh instance (own buffers).
 *
 * A full disk is usable: LFS_ERR_NOSPC from lfs_fs_mkconsistent or the probe
 * (NAMETOOLONG from its create: no room in the root's pair) is accepted and
 * the rest of the probe skipped. littlefs cannot relocate the superblock
 * pair {0, 1}: with a bad block there, writes to the root give NOSPC. Uses one bitmap of block_count bits on the heap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recovery.h"

#define PROBE_PATH "/.tp"      /* short: name_max may be small */
#define PROBE_SIZE 100

static void step(const struct torture_recovery_steps *s, const char *name) {
    if (s && s->boundary) {
        s->boundary(s->ctx, name);
    }
}

static void probe_bytes(uint8_t *b) {
    for (size_t i = 0; i < PROBE_SIZE; i++) {
        b[i] = (uint8_t)(i * 7 + 3);
    }
}

struct census {
    uint32_t count;
    uint8_t *seen;
    uint32_t out_of_range, twice;
    lfs_block_t first_bad;
};

static int census_cb(void *data, lfs_block_t block) {
    struct census *c = data;
    if (block >= c->count) {
        if (!c->out_of_range++ && !c->twice) {
            c->first_bad = block;
        }
        return 0;
    }
    if (c->seen[block / 8] & (1u << (block % 8))) {
        if (!c->twice++ && !c->out_of_range) {
            c->first_bad = block;
        }
    }
    c->seen[block / 8] |= (uint8_t)(1u << (block % 8));
    return 0;
}

/* Walks every directory depth-first with an explicit path buffer; counts
 * the directories below the root into *ndirs. */
static int walk_dirs(lfs_t *lfs, char *where, size_t wlen, uint32_t *ndirs) {
    *ndirs = 0;
    char path[LFS_NAME_MAX * 4 + 64] = "/";
    /* the offsets of each level's directory, to resume after descending */
    lfs_soff_t offs[64];
    size_t depth = 0;
    offs[0] = 0;
    for (;;) {
        lfs_dir_t dir;
        int err = lfs_dir_open(lfs, &dir, path);
        if (!err) {
            err = lfs_dir_seek(lfs, &dir, (lfs_off_t)offs[depth]);
        }
        if (err) {
            snprintf(where, wlen, "opening %s: %d", path, err);
            return err;
        }
        struct lfs_info info;
        bool descended = false;
        int r;
        while ((r = lfs_dir_read(lfs, &dir, &info)) > 0) {
            if (info.type != LFS_TYPE_DIR || !strcmp(info.name, ".")
                    || !strcmp(info.name, "..")) {
                continue;
            }
            size_t plen = strlen(path);
            if (depth + 1 >= sizeof(offs) / sizeof(offs[0])
                    || plen + strlen(info.name) + 2 > sizeof(path)) {
                continue;   /* deeper than the walk follows; the tree capture sees it */
            }
            offs[depth] = lfs_dir_tell(lfs, &dir);
            snprintf(path + plen, sizeof(path) - plen, "%s%s", plen > 1 ? "/" : "", info.name);
            offs[++depth] = 0;
            ++*ndirs;
            descended = true;
            break;
        }
        lfs_dir_close(lfs, &dir);
        if (r < 0) {
            snprintf(where, wlen, "reading %s: %d", path, r);
            return r;
        }
        if (descended) {
            continue;
        }
        if (depth == 0) {
            return 0;
        }
        char *slash = strrchr(path, '/');
        *(slash == path ? slash + 1 : slash) = '\0';
        depth--;
    }
}

static bool structure(lfs_t *lfs, const struct lfs_config *cfg, char *msg, size_t len,
        int *errp) {
    struct census c = {cfg->block_count, calloc(cfg->block_count / 8 + 1, 1), 0, 0, 0};
    if (!c.seen) {
        snprintf(msg, len, "out of memory in the structural check");
        return false;
    }
    int err = lfs_fs_traverse(lfs, census_cb, &c);
    uint32_t used = 0;
    for (uint32_t b = 0; b < cfg->block_count; b++) {
        used += (c.seen[b / 8] >> (b % 8)) & 1;
    }
    free(c.seen);
    if (err) {
        snprintf(msg, len, "recovery: lfs_fs_traverse returns %d", err);
        return false;
    }
    if (c.out_of_range) {
        *errp = TORTURE_RECOVERY_CENSUS;
        snprintf(msg, len, "recovery: %u traversed block(s) outside the device, first %u "
                "(block_count %u)", c.out_of_range, (unsigned)c.first_bad, cfg->block_count);
        return false;
    }
    char where[LFS_NAME_MAX * 4 + 96];
    uint32_t ndirs;
    if (walk_dirs(lfs, where, sizeof(where), &ndirs)) {
        snprintf(msg, len, "recovery: directory walk failed %s", where);
        return false;
    }
    /* lfs_fs_traverse reports a directory's pair twice (through the tail
     * list and through its entry); anything else twice is shared */
    if (c.twice != 2 * ndirs) {
        *errp = TORTURE_RECOVERY_CENSUS;
        snprintf(msg, len, "recovery: %u repeated block references (first %u), expected "
                "%u: 2 per directory's pair for %u directories; a block is shared",
                c.twice, (unsigned)c.first_bad, 2 * ndirs, ndirs);
        return false;
    }
    lfs_ssize_t size = lfs_fs_size(lfs);
    if (size != (lfs_ssize_t)used) {
        *errp = TORTURE_RECOVERY_CENSUS;
        snprintf(msg, len, "recovery: lfs_fs_size is %ld but the traversal counts %u blocks",
                (long)size, used);
        return false;
    }
    return true;
}

/* The probe: NOSPC is accepted (*full set). Returns 0 or the failing step. */
static const char *probe(lfs_t *lfs, int *err, bool *full) {
    uint8_t want[PROBE_SIZE], got[PROBE_SIZE];
    probe_bytes(want);
    lfs_file_t f;
    *full = false;
    if ((*err = lfs_file_open(lfs, &f, PROBE_PATH, LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC))) {
        /* a create that finds no room in its pair says NAMETOOLONG (like
         * littlefs): the superblock pair {0, 1}, which cannot be relocated,
         * has a bad block, or the root's pair is full */
        *full = *err == LFS_ERR_NOSPC || *err == LFS_ERR_NAMETOOLONG;
        return *full ? NULL : "creating the probe file";
    }
    lfs_ssize_t n = lfs_file_write(lfs, &f, want, PROBE_SIZE);
    int serr = n < 0 ? (int)n : lfs_file_sync(lfs, &f);
    int cerr = lfs_file_close(lfs, &f);
    *err = serr ? serr : cerr;
    if (*err) {
        *full = *err == LFS_ERR_NOSPC;
        return *full ? NULL : "writing and syncing the probe file";
    }
    if ((*err = lfs_file_open(lfs, &f, PROBE_PATH, LFS_O_RDONLY))) {
        return "reopening the probe file";
    }
    n = lfs_file_read(lfs, &f, got, PROBE_SIZE);
    lfs_file_close(lfs, &f);
    if (n != PROBE_SIZE || memcmp(want, got, PROBE_SIZE) != 0) {
        *err = n < 0 ? (int)n : 0;
        return "reading the probe file back (wrong contents)";
    }
    return NULL;
}

static bool recover(const struct lfs_config *cfg,
        const struct torture_recovery_steps *steps, char *msg, size_t msglen, int *errp);

bool torture_recovery_check(const struct lfs_config *cfg,
        const struct torture_recovery_steps *steps, char *msg, size_t msglen, int *err) {
    *err = 0;
    return recover(cfg, steps, msg, msglen, err);
}

static bool recover(const struct lfs_config *cfg,
        const struct torture_recovery_steps *steps, char *msg, size_t msglen, int *errp) {
    struct lfs_config c = *cfg;
    c.read_buffer = c.prog_buffer = c.lookahead_buffer = NULL;
    lfs_t lfs;
    step(steps, "recovery mount");
    int err = lfs_mount(&lfs, &c);
    if (err) {
        snprintf(msg, msglen, "recovery: mount returns %d", err);
        *errp = err;
        return false;
    }
    step(steps, "lfs_fs_mkconsistent");
    err = lfs_fs_mkconsistent(&lfs);
    bool full = err == LFS_ERR_NOSPC;   /* e.g. the superblock pair went bad */
    if (err && !full) {
        snprintf(msg, msglen, "recovery: lfs_fs_mkconsistent returns %d", err);
        *errp = err;
        lfs_unmount(&lfs);
        return false;
    }
    step(steps, "probe file");
    const char *what = full ? NULL : probe(&lfs, &err, &full);
    if (what) {
        snprintf(msg, msglen, "recovery: %s failed (%d)", what, err);
        *errp = err;
        lfs_unmount(&lfs);
        return false;
    }
    step(steps, "recovery unmount");
    lfs_unmount(&lfs);
    err = lfs_mount(&lfs, &c);
    if (err) {
        snprintf(msg, msglen, "recovery: the second mount returns %d", err);
        *errp = err;
        step(steps, "end");
        return false;
    }
    bool ok = structure(&lfs, &c, msg, msglen, errp);
    lfs_unmount(&lfs);
    step(steps, "end");
    return ok;
}
