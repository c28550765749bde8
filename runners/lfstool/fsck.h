/*
 * fsck.h - lfstool's raw view of a littlefs image, for fsck, repair and
 * salvage: the device opened without mounting, metadata blocks decoded
 * commit by commit, pairs replayed into their entries, and the findings a
 * check reports.
 */
#ifndef LFSTOOL_FSCK_H
#define LFSTOOL_FSCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bd_emu.h"
#include "cli.h"

/* ---- the device, opened raw (fsck_dev.c) --------------------------------- */

struct fsck_dev {
    const char *path;
    bd_emu_t *bd;               /* the file's bytes */
    uint32_t block_size, block_count, read_size, prog_size;
    const char *geometry_from;  /* "command line", "superblock" or "scan" */
};

/* Opens `path` without mounting: geometry from the command line, else from
 * a superblock in block 0 or 1, else by scanning for metadata blocks.
 * Returns 0, or -1 with a one-line reason in `why` (not a littlefs image,
 * or unreadable). */
int fsck_dev_open(struct fsck_dev *dev, const char *path,
        const struct geometry_opts *geo, char *why, size_t why_size);
void fsck_dev_close(struct fsck_dev *dev);

/* Reads `size` bytes of a block; 0 or -1 (outside the device). */
int fsck_dev_read(const struct fsck_dev *dev, uint32_t block, uint32_t off,
        void *buf, uint32_t size);

/* ---- metadata blocks and pairs (fsck_mdir.c) ----------------------------- */

struct fsck_commit {
    uint32_t off, end;          /* [off, end): from revision or first tag to
                                 * the end of the CRC tag's padding */
    bool crc_ok;
};

/* One block read as a metadata block. */
struct fsck_block {
    uint32_t block;
    uint32_t rev;
    uint8_t *data;              /* block_size bytes */
    struct fsck_commit *commits;
    int ncommits;
    int nvalid;                 /* commits before the first bad one */
    int first_bad;              /* index of the first bad commit, -1: none */
    bool valid_after_bad;       /* a good commit follows a bad one */
    uint32_t torn_off;          /* an unfinished commit starts here, 0: none */
};

/* One entry (id) of a pair, as its current state says. Offsets point into
 * the current block's data. */
struct fsck_attr {
    uint8_t type;
    uint32_t off, len;
};

struct fsck_entry {
    uint32_t name_type;         /* 0: none, 0x001 file, 0x002 dir, 0x0ff sb */
    uint32_t name_off, name_len;
    uint32_t tag_off;           /* where the name tag is, for reports */
    uint32_t struct_type;       /* 0: none, else 0x200/0x201/0x202 */
    uint32_t struct_off, struct_len, struct_tag_off;
    struct fsck_attr *attrs;
    int nattrs;
};

struct fsck_pair {
    uint32_t pair[2];
    struct fsck_block blocks[2];
    int current;                /* index into blocks, -1: neither is valid */
    struct fsck_entry *entries;
    uint32_t count;
    bool has_tail, hard_tail;
    uint32_t tail[2];
    uint32_t tail_off;
    bool has_gdelta;
    uint8_t gdelta[12];
    uint32_t gdelta_off;
};

/* Decodes one block: every commit it holds, good or bad. Returns 0, or -1
 * (out of memory or outside the device). */
int fsck_block_decode(const struct fsck_dev *dev, uint32_t block,
        struct fsck_block *out);
void fsck_block_free(struct fsck_block *b);

/* Decodes both blocks of a pair, picks the current one and replays its
 * good commits into entries, tail and gstate delta. Returns 0 (p->current
 * is -1 if neither block holds a good commit), or -1 (out of memory). */
int fsck_pair_load(const struct fsck_dev *dev, uint32_t a, uint32_t b,
        struct fsck_pair *p);
void fsck_pair_free(struct fsck_pair *p);

/* The current block of a loaded pair (NULL if invalid). */
const struct fsck_block *fsck_pair_block(const struct fsck_pair *p);

/* Number of blocks a skip-list of `size` bytes takes. */
uint32_t fsck_ctz_blocks(uint32_t block_size, uint32_t size);

/* ---- findings (fsck_findings.c) ------------------------------------------ */

enum fsck_severity {
    FSCK_INFO,                  /* normal, worth knowing (a torn commit) */
    FSCK_REPAIR,                /* mount-time repair fixes it: status 1 */
    FSCK_ERROR,                 /* data lost or unreachable: status 2 */
    FSCK_FATAL,                 /* not littlefs or unreadable: status 3 */
};

#define FSCK_NO_BLOCK 0xffffffffu

struct fsck_finding {
    enum fsck_severity severity;
    uint32_t block, off;        /* FSCK_NO_BLOCK: not about one block */
    const char *kind;           /* a stable keyword, e.g. "commit-crc" */
    char *message;
};

struct fsck_report {
    struct fsck_finding *findings;
    int count, cap;
    /* what the walk saw */
    uint32_t pairs, dirs, files, blocks_used;
    long fs_size;               /* lfs_fs_size, -1: not mounted */
    uint32_t disk_version;
};

void fsck_report_add(struct fsck_report *r, enum fsck_severity sev,
        uint32_t block, uint32_t off, const char *kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
void fsck_report_free(struct fsck_report *r);

/* Exit status for the findings: the worst severity (info counts as 0). */
int fsck_report_status(const struct fsck_report *r);
void fsck_report_print(FILE *out, const struct fsck_report *r, const char *image);
void fsck_report_json(FILE *out, const struct fsck_report *r, const char *image);

/* ---- the check (fsck_check.c) -------------------------------------------- */

/* Checks the opened device (and the image file at dev->path, which it
 * mounts read-only for lfs_fs_size) and fills the report. */
void fsck_check(const struct fsck_dev *dev, struct fsck_report *r);

/* Opens and checks `path`; returns the status, the report filled. */
int fsck_run(const char *path, const struct geometry_opts *geo,
        struct fsck_report *r);

/* ---- recovery of readable entries (fsck_recover.c) ----------------------- */

struct recover_attr {
    uint8_t type;
    const uint8_t *data;
    uint32_t len;
};

/* Receives what recovery finds, parents before children. Paths are
 * relative ("a/b", "lost+found/pair-0x4-0x5/x"), made of names checked to
 * hold no '/' and not be "." or "..". A nonzero return stops recovery. */
struct recover_sink {
    void *ctx;
    int (*dir)(void *ctx, const char *path,
            const struct recover_attr *attrs, int nattrs);
    int (*file)(void *ctx, const char *path, const uint8_t *data, uint32_t size,
            const struct recover_attr *attrs, int nattrs);
    /* something that could not be recovered, or only partly */
    void (*lost)(void *ctx, const char *path, uint32_t block, const char *why);
};

/* Walks every pair it can find (the thread from the superblock; every block
 * scanned if that is broken) and hands each readable directory and file to
 * the sink. Partial files are given with what could be read, and reported
 * through sink->lost. Returns 0, the sink's nonzero value, or -1 (out of
 * memory). */
int fsck_recover(const struct fsck_dev *dev, const struct recover_sink *sink);

/* ---- repair (fsck_repair.c) ---------------------------------------------- */

/* Writes a repaired copy of `in` to `out`; prints what it did. Returns the
 * exit status (0: `out` written and clean). */
int fsck_repair(const char *in, const char *out, const struct geometry_opts *geo);

#endif
