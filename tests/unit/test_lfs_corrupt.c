/*
 * test_lfs_corrupt.c - the core never crashes, hangs, reads outside the
 * device or reports a foreign error on corrupted images.
 *
 * Each case takes a golden image, applies one seeded corruption (bit
 * flips, smears, zeroed/erased/swapped/copied blocks, truncation, skip-list
 * pointer damage, and mutations of tags and their data whose commit CRC is
 * then fixed up so the core has to catch them after the CRC passes:
 * random tails, directory pairs, file structs, gstate moves, ids and
 * types), mounts it and walks everything: every directory listed, every
 * entry stat'ed and opened, every file read with seeks, getattr,
 * fs_stat/fs_size/fs_traverse, dir seek/tell.  Errors must be
 * LFS_ERR_CORRUPT, LFS_ERR_NOENT or LFS_ERR_INVAL (plus NOTDIR/ISDIR/NOATTR
 * where the call itself can give them), the device must never see an
 * out-of-range or misaligned request, and the device read count is capped
 * to catch loops.  The case count defaults to a quick run; set
 * BROWNOUT_CORRUPT_CASES (and BROWNOUT_CORRUPT_SEED) for a longer sweep,
 * BROWNOUT_CORRUPT_FIRST=N BROWNOUT_CORRUPT_CASES=1 to replay case N.
 */
#include "test_lfs_bd.h"
#include "lfs_util.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define READ_CAP 4000000ul  /* device reads allowed per case */

struct image {
    const char *name;
    lfs_size_t block_size, block_count, read_size;
    uint8_t *data;
    size_t size;
    lfs_block_t meta[512];  /* blocks holding metadata commits */
    size_t meta_count;
};

struct sweep {
    uint32_t prng;
    struct image *img;
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
    unsigned long calls;
    char what[160];
    unsigned long mounted, failed_mounts;
    unsigned long worst_reads;
    char worst[160];
    unsigned long caseno;
};

static uint32_t rnd(struct sweep *s, uint32_t n) {
    return n ? test_prng(&s->prng) % n : 0;
}

static void report(struct sweep *s, const char *call, int err) {
    fail_msg("%s: %s returned %d (device reads %lu, bad requests %lu)",
            s->what, call, err, s->bd.reads, s->bd.bad_requests);
}

static void check_err(struct sweep *s, const char *call, int err,
        bool lookup) {
    if (s->bd.bad_requests) {
        report(s, call, err);
    }
    if (s->bd.reads > READ_CAP) {
        report(s, "read cap", err);
    }
    if (err >= 0 || err == LFS_ERR_CORRUPT || err == LFS_ERR_NOENT
            || err == LFS_ERR_INVAL) {
        return;
    }
    if (lookup && (err == LFS_ERR_NOTDIR || err == LFS_ERR_ISDIR
            || err == LFS_ERR_NOATTR)) {
        return;
    }
    report(s, call, err);
}

/* ---- an independent reader of commit logs, for targeted mutations ------ */

struct logtag {
    lfs_off_t off;      /* of the stored tag */
    uint32_t tag;       /* decoded, valid bit clear */
    size_t commit;      /* index in commits[] */
};

struct commit {
    lfs_off_t start;    /* first byte the CRC covers */
    lfs_off_t crcoff;   /* of the CRC tag */
};

struct blocklog {
    struct logtag tags[1024];
    size_t tag_count;
    struct commit commits[256];
    size_t commit_count;
};

static void parse_log(const uint8_t *b, lfs_size_t bs, struct blocklog *log) {
    log->tag_count = 0;
    log->commit_count = 0;
    lfs_off_t off = 4, start = 0;
    uint32_t ptag = 0xffffffff;
    uint32_t crc = lfs_crc(0xffffffff, b, 4);
    size_t first_pending = 0;
    while (off + 4 <= bs && log->tag_count < 1024) {
        uint32_t tag = lfs_get_be32(b + off) ^ ptag;
        if (tag & 0x80000000) {
            break;
        }
        uint32_t size = tag & 0x3ff;
        uint32_t dsize = 4 + (size == 0x3ff ? 0 : size);
        if (dsize > bs - off) {
            break;
        }
        crc = lfs_crc(crc, b + off, 4);
        if (((tag >> 20) & 0x780) == 0x500) {
            if (dsize < 8 || lfs_get_le32(b + off + 4) != crc
                    || log->commit_count == 256) {
                break;
            }
            log->commits[log->commit_count].start = start;
            log->commits[log->commit_count].crcoff = off;
            for (size_t i = first_pending; i < log->tag_count; i++) {
                log->tags[i].commit = log->commit_count;
            }
            log->commit_count += 1;
            first_pending = log->tag_count;
            ptag = tag ^ ((((tag >> 20) & 1)) << 31);
            off += dsize;
            start = off;
            crc = 0xffffffff;
            continue;
        }
        crc = lfs_crc(crc, b + off + 4, dsize - 4);
        log->tags[log->tag_count].off = off;
        log->tags[log->tag_count].tag = tag;
        log->tag_count += 1;
        ptag = tag;
        off += dsize;
    }
    log->tag_count = first_pending;     /* drop tags of a torn commit */
}

static void fix_crc(uint8_t *b, const struct commit *c) {
    uint32_t crc = lfs_crc(0xffffffff, b + c->start,
            c->crcoff + 4 - c->start);
    lfs_put_le32(b + c->crcoff + 4, crc);
}

/* Replace tag i's value by newtag, keeping the chain of the tags after. */
static void set_tag(uint8_t *b, struct blocklog *log, size_t i,
        uint32_t newtag) {
    uint32_t delta = newtag ^ log->tags[i].tag;
    lfs_off_t off = log->tags[i].off;
    lfs_put_be32(b + off, lfs_get_be32(b + off) ^ delta);
    uint32_t nsize = log->tags[i].tag & 0x3ff;
    lfs_off_t next = off + 4 + (nsize == 0x3ff ? 0 : nsize);
    lfs_put_be32(b + next, lfs_get_be32(b + next) ^ delta);
    log->tags[i].tag = newtag;
}

/* ---- loading the images, finding their metadata blocks ----------------- */

static bool is_meta(const uint8_t *b, lfs_size_t bs) {
    static struct blocklog log;
    parse_log(b, bs, &log);
    return log.commit_count > 0;
}

static void load_image(struct image *img) {
    char name[128];
    struct test_manifest *m = malloc(sizeof(*m));
    assert_non_null(m);
    snprintf(name, sizeof(name), "%s.manifest.json", img->name);
    assert_true(test_load_manifest(name, m));
    img->block_size = m->block_size;
    img->block_count = m->block_count;
    img->read_size = m->read_size;
    free(m);
    snprintf(name, sizeof(name), "%s.img", img->name);
    img->data = test_readfile(name, &img->size);
    assert_non_null(img->data);
    img->meta_count = 0;
    for (lfs_block_t b = 0; b < img->block_count && img->meta_count < 512;
            b++) {
        if (is_meta(img->data + (size_t)b*img->block_size, img->block_size)) {
            img->meta[img->meta_count++] = b;
        }
    }
    assert_true(img->meta_count >= 2);
}

/* ---- corruptions ------------------------------------------------------- */

static uint8_t *blk(struct sweep *s, lfs_block_t b) {
    return s->bd.data + (size_t)b*s->img->block_size;
}

static lfs_block_t any_block(struct sweep *s) {
    return rnd(s, s->img->block_count);
}

static lfs_block_t meta_block(struct sweep *s) {
    return s->img->meta[rnd(s, (uint32_t)s->img->meta_count)];
}

/* A value for a block pointer: mostly real blocks, sometimes anything. */
static uint32_t block_value(struct sweep *s) {
    switch (rnd(s, 6)) {
    case 0: return 0xffffffff;
    case 1: return test_prng(&s->prng);
    case 2: return s->img->block_count + rnd(s, 4);
    default: return rnd(s, 2) ? meta_block(s) : any_block(s);
    }
}

/* Mutate one tag (or its data) of a valid commit and fix the CRC. */
static void mutate_commit(struct sweep *s, lfs_block_t b) {
    static struct blocklog log;
    uint8_t *d = blk(s, b);
    lfs_size_t bs = s->img->block_size;
    parse_log(d, bs, &log);
    if (log.tag_count == 0) {
        snprintf(s->what + strlen(s->what), 40, " (no tags)");
        return;
    }
    size_t i = rnd(s, (uint32_t)log.tag_count);
    uint32_t tag = log.tags[i].tag;
    lfs_off_t data = log.tags[i].off + 4;
    uint32_t size = tag & 0x3ff;
    uint32_t type3 = (tag >> 20) & 0x7ff;
    uint32_t kind = rnd(s, 8);
    snprintf(s->what + strlen(s->what), 60, " tag %08x kind %u", tag, kind);

    if (kind == 0 && size >= 8 && size != 0x3ff
            && (type3 == 0x200 || (type3 & 0x700) == 0x600)) {
        // pair pointer: dir struct or tail
        lfs_put_le32(d + data, block_value(s));
        lfs_put_le32(d + data + 4, rnd(s, 3) ? block_value(s)
                : lfs_get_le32(d + data));
    } else if (kind == 1 && size >= 8 && size != 0x3ff && type3 == 0x202) {
        // skip-list head and size
        lfs_put_le32(d + data, block_value(s));
        uint32_t fsize = rnd(s, 2) ? test_prng(&s->prng)
                : rnd(s, s->img->block_count * s->img->block_size);
        lfs_put_le32(d + data + 4, fsize);
    } else if (kind == 2) {
        // a move state pointing somewhere in this filesystem
        if (type3 == 0x7ff && size >= 12 && size != 0x3ff) {
            uint32_t mtag = (0x4ffu << 20) | (rnd(s, 8) << 10);
            lfs_put_le32(d + data, lfs_get_le32(d + data) ^ mtag);
            lfs_put_le32(d + data + 4, rnd(s, 2) ? b : meta_block(s));
            lfs_put_le32(d + data + 8, block_value(s));
        } else {
            // turn the tag into a move state of its size
            set_tag(d, &log, i, (0x7ffu << 20) | (0x3ffu << 10) | size);
        }
    } else if (kind == 3) {
        // another id
        uint32_t id = rnd(s, 4) ? rnd(s, 16) : rnd(s, 0x400);
        set_tag(d, &log, i, (tag & ~(0x3ffu << 10)) | (id << 10));
    } else if (kind == 4) {
        // another type, keeping id and size
        static const uint32_t types[] = {0x001, 0x002, 0x0ff, 0x200, 0x201,
                0x202, 0x300, 0x401, 0x4ff, 0x600, 0x601, 0x7ff, 0x5ff,
                0x003, 0x47f};
        uint32_t t = types[rnd(s, sizeof(types)/sizeof(types[0]))];
        set_tag(d, &log, i, (tag & 0x000fffff) | (t << 20));
    } else if (kind == 5) {
        // another size: the commit layout breaks from here on
        uint32_t nsize = rnd(s, 0x400);
        set_tag(d, &log, i, (tag & ~0x3ffu) | nsize);
    } else if (size > 0 && size != 0x3ff) {
        // random bytes in the data
        uint32_t n = 1 + rnd(s, 4);
        for (uint32_t k = 0; k < n; k++) {
            d[data + rnd(s, size)] = (uint8_t)test_prng(&s->prng);
        }
    }
    fix_crc(d, &log.commits[log.tags[i].commit]);
}

static void corrupt(struct sweep *s) {
    const lfs_size_t bs = s->img->block_size;
    uint32_t kind = rnd(s, 13);
    snprintf(s->what, sizeof(s->what), "case %lu: %s kind %u", s->caseno,
            s->img->name, kind);
    switch (kind) {
    case 0: {   // bit flips anywhere
        uint32_t n = 1 + rnd(s, 16);
        for (uint32_t i = 0; i < n; i++) {
            size_t bit = rnd(s, (uint32_t)(s->img->size * 8));
            s->bd.data[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        }
        break;
    }
    case 1: {   // bit flips in metadata
        uint32_t n = 1 + rnd(s, 4);
        for (uint32_t i = 0; i < n; i++) {
            blk(s, meta_block(s))[rnd(s, bs)] ^= (uint8_t)(1 << rnd(s, 8));
        }
        break;
    }
    case 2: {   // smear
        uint8_t *b = blk(s, meta_block(s));
        lfs_off_t off = rnd(s, bs);
        lfs_size_t len = lfs_min(1 + rnd(s, 64), bs - off);
        for (lfs_size_t i = 0; i < len; i++) {
            b[off + i] = (uint8_t)test_prng(&s->prng);
        }
        break;
    }
    case 3:     // zeroed block
        memset(blk(s, rnd(s, 2) ? meta_block(s) : any_block(s)), 0, bs);
        break;
    case 4:     // erased block
        memset(blk(s, rnd(s, 2) ? meta_block(s) : any_block(s)), 0xff, bs);
        break;
    case 5: {   // swapped blocks
        lfs_block_t a = meta_block(s);
        lfs_block_t b = rnd(s, 2) ? meta_block(s) : any_block(s);
        uint8_t *tmp = malloc(bs);
        memcpy(tmp, blk(s, a), bs);
        memcpy(blk(s, a), blk(s, b), bs);
        memcpy(blk(s, b), tmp, bs);
        free(tmp);
        break;
    }
    case 6:     // one metadata block copied over another
        memcpy(blk(s, meta_block(s)), blk(s, meta_block(s)), bs);
        break;
    case 7:     // truncation: everything from some block on is erased
    {
        lfs_block_t from = 1 + rnd(s, s->img->block_count - 1);
        memset(blk(s, from), 0xff, (size_t)(s->img->block_count - from) * bs);
        break;
    }
    case 8: {   // skip-list pointers in a data block
        lfs_block_t b = any_block(s);
        lfs_put_le32(blk(s, b) + 4*rnd(s, 4), block_value(s));
        break;
    }
    case 9: case 10: case 11:   // CRC-valid mutations of metadata
        mutate_commit(s, meta_block(s));
        if (rnd(s, 3) == 0) {
            mutate_commit(s, meta_block(s));
        }
        break;
    case 12:    // the config disagrees with the disk
        s->cfg.block_count = 2 + rnd(s, s->img->block_count - 2);
        break;
    }
}

/* ---- the walk ---------------------------------------------------------- */

static void walk_file(struct sweep *s, const char *path,
        const struct lfs_info *info) {
    lfs_file_t file;
    int err = lfs_file_open(&s->lfs, &file, path, LFS_O_RDONLY);
    check_err(s, "file_open", err, true);
    if (err) {
        return;
    }
    lfs_soff_t size = lfs_file_size(&s->lfs, &file);
    check_err(s, "file_size", size, false);
    (void)info;
    static uint8_t buf[4096];
    lfs_size_t total = 0;
    while (total < 64*1024) {
        lfs_ssize_t n = lfs_file_read(&s->lfs, &file, buf,
                1 + rnd(s, sizeof(buf)));
        check_err(s, "file_read", n, false);
        if (n <= 0) {
            break;
        }
        total += (lfs_size_t)n;
    }
    for (int i = 0; i < 4; i++) {
        lfs_soff_t pos = lfs_file_seek(&s->lfs, &file,
                size > 0 ? (lfs_soff_t)rnd(s, (uint32_t)size) : 0,
                LFS_SEEK_SET);
        check_err(s, "file_seek", pos, false);
        lfs_ssize_t n = lfs_file_read(&s->lfs, &file, buf, 1 + rnd(s, 600));
        check_err(s, "file_read", n, false);
    }
    check_err(s, "file_close", lfs_file_close(&s->lfs, &file), false);
}

static void walk(struct sweep *s) {
    enum { MAXDIRS = 64, MAXPATH = 300 };
    static char stack[MAXDIRS][MAXPATH];
    size_t depth = 0, entries = 0;
    strcpy(stack[depth++], "/");

    while (depth > 0 && entries < 3000) {
        char path[MAXPATH];
        strcpy(path, stack[--depth]);

        lfs_dir_t dir;
        int err = lfs_dir_open(&s->lfs, &dir, path);
        check_err(s, "dir_open", err, true);
        if (err) {
            continue;
        }
        struct lfs_info info;
        lfs_soff_t marks[4] = {0};
        int n = 0;
        while (entries < 3000) {
            lfs_soff_t tell = lfs_dir_tell(&s->lfs, &dir);
            check_err(s, "dir_tell", tell, false);
            err = lfs_dir_read(&s->lfs, &dir, &info);
            check_err(s, "dir_read", err, false);
            if (err <= 0) {
                break;
            }
            entries += 1;
            if (n < 4) {
                marks[n] = tell;
            }
            n += 1;
            if (memchr(info.name, '\0', sizeof(info.name)) == NULL
                    || strlen(info.name) > s->lfs.name_max) {
                report(s, "dir_read name", 0);
            }
            if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0) {
                continue;
            }
            char child[MAXPATH * 2];
            snprintf(child, sizeof(child), "%s/%s",
                    strcmp(path, "/") ? path : "", info.name);
            if (strlen(child) >= MAXPATH) {
                continue;
            }
            struct lfs_info st;
            check_err(s, "stat", lfs_stat(&s->lfs, child, &st), true);
            uint8_t attr[64];
            check_err(s, "getattr", lfs_getattr(&s->lfs, child,
                    (uint8_t)rnd(s, 256), attr, sizeof(attr)), true);
            if (info.type == LFS_TYPE_DIR) {
                if (depth < MAXDIRS) {
                    strcpy(stack[depth++], child);
                }
            } else {
                walk_file(s, child, &info);
            }
        }
        for (int i = 0; i < 4 && i < n; i++) {
            err = lfs_dir_seek(&s->lfs, &dir, (lfs_off_t)marks[i]);
            check_err(s, "dir_seek", err, false);
            if (!err) {
                check_err(s, "dir_read", lfs_dir_read(&s->lfs, &dir, &info),
                        false);
            }
        }
        check_err(s, "dir_seek", lfs_dir_seek(&s->lfs, &dir,
                rnd(s, 100000)), false);
        check_err(s, "dir_rewind", lfs_dir_rewind(&s->lfs, &dir), false);
        check_err(s, "dir_close", lfs_dir_close(&s->lfs, &dir), false);
    }

    struct lfs_fsinfo fsinfo;
    check_err(s, "fs_stat", lfs_fs_stat(&s->lfs, &fsinfo), false);
    check_err(s, "fs_size", lfs_fs_size(&s->lfs), false);
    uint8_t attr[64];
    check_err(s, "getattr /", lfs_getattr(&s->lfs, "/", 0x7f, attr,
            sizeof(attr)), true);
    static const char *const odd[] = {"/..", "a/../..", "//", ".", "/.",
            "docs/", "docs//deep/./", "zero2/", "zero2/..", "missing/x"};
    struct lfs_info st;
    for (size_t i = 0; i < sizeof(odd)/sizeof(odd[0]); i++) {
        check_err(s, "stat odd", lfs_stat(&s->lfs, odd[i], &st), true);
    }
}

static int check_block(void *data, lfs_block_t block) {
    struct sweep *s = data;
    if (block >= s->img->block_count) {
        report(s, "traverse block", (int)block);
    }
    return 0;
}

static void run_case(struct sweep *s, struct image *img) {
    s->img = img;
    s->bd.data = malloc(img->size);
    assert_non_null(s->bd.data);
    memcpy(s->bd.data, img->data, img->size);
    s->bd.block_size = img->block_size;
    s->bd.block_count = img->block_count;
    s->bd.reads = 0;
    s->bd.bad_requests = 0;
    lfs_size_t read_size = rnd(s, 2) ? img->read_size : 1;
    testbd_config(&s->cfg, &s->bd, read_size, read_size,
            rnd(s, 2) ? img->block_size : 16*read_size);
    if (rnd(s, 4) == 0) {
        s->cfg.block_count = 0;
    }
    corrupt(s);

    int err = lfs_mount(&s->lfs, &s->cfg);
    check_err(s, "mount", err, false);
    struct lfs_fsinfo fsinfo;
    if (!err && s->cfg.block_count == 0
            && (lfs_fs_stat(&s->lfs, &fsinfo) != 0
                || fsinfo.block_count > s->bd.block_count)) {
        // the disk claims more blocks than the device has: with the block
        // count left to the disk, only the device can catch that
        check_err(s, "unmount", lfs_unmount(&s->lfs), false);
        err = LFS_ERR_INVAL;
    }
    if (!err) {
        s->mounted += 1;
        walk(s);
        check_err(s, "traverse", lfs_fs_traverse(&s->lfs, check_block, s),
                false);
        check_err(s, "unmount", lfs_unmount(&s->lfs), false);
    } else {
        s->failed_mounts += 1;
    }
    if (s->bd.reads > s->worst_reads) {
        s->worst_reads = s->bd.reads;
        memcpy(s->worst, s->what, sizeof(s->worst));
    }
    free(s->bd.data);
}

static void test_corruption_sweep(void **state) {
    (void)state;
    static struct image images[] = {
        {.name = "basic-512"}, {.name = "basic-nor4k"}, {.name = "basic-v20"},
        {.name = "churn-512"}, {.name = "cutrename-512"}, {.name = "many-512"},
    };
    const size_t nimages = sizeof(images)/sizeof(images[0]);
    for (size_t i = 0; i < nimages; i++) {
        load_image(&images[i]);
    }

    const char *env = getenv("BROWNOUT_CORRUPT_CASES");
    unsigned long cases = env ? strtoul(env, NULL, 0) : 600;
    env = getenv("BROWNOUT_CORRUPT_SEED");
    uint32_t seed = env ? (uint32_t)strtoul(env, NULL, 0) : 42;
    env = getenv("BROWNOUT_CORRUPT_FIRST");
    unsigned long first = env ? strtoul(env, NULL, 0) : 0;

    static struct sweep s;
    for (unsigned long c = first; c < first + cases; c++) {
        // each case has its own seed, so a failure can be replayed alone
        s.caseno = c;
        s.prng = seed ^ (uint32_t)(c * 0x9e3779b9u);
        (void)test_prng(&s.prng);
        run_case(&s, &images[c % nimages]);
    }
    print_message("%lu cases: %lu mounted, %lu refused; most device reads "
            "%lu (%s)\n", cases, s.mounted, s.failed_mounts, s.worst_reads,
            s.worst);
    // the sweep must reach the walk, not just fail mounts
    assert_true(s.mounted > cases / 4);

    for (size_t i = 0; i < nimages; i++) {
        free(images[i].data);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corruption_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
