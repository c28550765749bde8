/*
 * test_lfs_bd.h - helpers shared by the core's unit tests (header only, as
 * every test is its own program): an in-memory block device that counts
 * reads and rejects misaligned or out-of-range requests, golden image
 * loading, a crude parser for the image manifests, SHA-256, a seeded PRNG,
 * and (with TEST_LFS_MBUILDER) a builder of metadata blocks.  Images are looked up in $BROWNOUT_IMAGES, tests/data/images, then
 * ../shared/images.
 */
#ifndef TEST_LFS_BD_H
#define TEST_LFS_BD_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "lfs.h"

/* ---- in-memory block device -------------------------------------------- */

struct testbd {
    uint8_t *data;
    lfs_size_t block_size;
    lfs_size_t block_count;
    unsigned long reads;        /* read calls */
    unsigned long bad_requests; /* misaligned or out-of-range calls */
};

static inline int testbd_read(const struct lfs_config *c, lfs_block_t block,
        lfs_off_t off, void *buffer, lfs_size_t size) {
    struct testbd *bd = c->context;
    bd->reads += 1;
    if (block >= bd->block_count || off > bd->block_size
            || size > bd->block_size - off) {
        bd->bad_requests += 1;
        return LFS_ERR_IO;
    }
    if (off % c->read_size || size % c->read_size) {
        bd->bad_requests += 1;
        return LFS_ERR_INVAL;
    }
    memcpy(buffer, bd->data + (size_t)block*bd->block_size + off, size);
    return 0;
}

static inline void testbd_config(struct lfs_config *cfg, struct testbd *bd,
        lfs_size_t read_size, lfs_size_t prog_size, lfs_size_t cache_size) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->context = bd;
    cfg->read = testbd_read;
    cfg->read_size = read_size;
    cfg->prog_size = prog_size;
    cfg->block_size = bd->block_size;
    cfg->block_count = bd->block_count;
    cfg->block_cycles = -1;
    cfg->cache_size = cache_size;
    cfg->lookahead_size = 16;
}

static inline uint8_t *test_readfile(const char *name, size_t *size) {
    static const char *const dirs[] = {NULL, "tests/data/images",
            "../shared/images"};
    for (size_t i = 0; i < sizeof(dirs)/sizeof(dirs[0]); i++) {
        const char *dir = i == 0 ? getenv("BROWNOUT_IMAGES") : dirs[i];
        if (!dir) {
            continue;
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "rb");
        if (!f) {
            continue;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        while (true) {
            if (len == cap) {
                cap = cap ? 2*cap : 65536;
                buf = realloc(buf, cap + 1);
                if (!buf) {
                    fclose(f);
                    return NULL;
                }
            }
            size_t n = fread(buf + len, 1, cap - len, f);
            if (n == 0) {
                break;
            }
            len += n;
        }
        fclose(f);
        buf[len] = '\0';
        *size = len;
        return buf;
    }
    fprintf(stderr, "cannot find %s (set BROWNOUT_IMAGES)\n", name);
    return NULL;
}

/* ---- manifest ---------------------------------------------------------- */

#define TEST_MAX_ENTRIES 512
#define TEST_MAX_ATTRS 8

struct test_attr {
    uint8_t type;
    uint8_t data[256];
    size_t size;
};

struct test_entry {
    char path[512];
    bool isdir;
    lfs_size_t size;
    char sha256[65];
    struct test_attr attrs[TEST_MAX_ATTRS];
    size_t attr_count;
};

struct test_manifest {
    lfs_size_t block_size, block_count, read_size, prog_size;
    uint32_t disk_version;
    struct test_entry entries[TEST_MAX_ENTRIES];
    size_t count;
};

static inline const char *test_json_find(const char *s, const char *key) {
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *p = strstr(s, pat);
    return p ? p + strlen(pat) : NULL;
}

static inline unsigned long test_json_number(const char *s, const char *key) {
    const char *p = test_json_find(s, key);
    return p ? strtoul(p + strspn(p, ": "), NULL, 0) : 0;
}

/* Copy the string value after p (": \"...\"") into out. */
static inline const char *test_json_string(const char *p, char *out,
        size_t cap) {
    p = strchr(p, '"');
    if (!p) {
        return NULL;
    }
    p += 1;
    size_t n = strcspn(p, "\"");
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return p + strcspn(p, "\"") + 1;
}

static inline size_t test_unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (hex[0] && hex[1] && n < cap) {
        char byte[3] = {hex[0], hex[1], 0};
        out[n++] = (uint8_t)strtoul(byte, NULL, 16);
        hex += 2;
    }
    return n;
}

static inline bool test_load_manifest(const char *name,
        struct test_manifest *m) {
    size_t size;
    char *json = (char*)test_readfile(name, &size);
    if (!json) {
        return false;
    }
    memset(m, 0, sizeof(*m));
    m->block_size = (lfs_size_t)test_json_number(json, "block_size");
    m->block_count = (lfs_size_t)test_json_number(json, "block_count");
    m->read_size = (lfs_size_t)test_json_number(json, "read_size");
    m->prog_size = (lfs_size_t)test_json_number(json, "prog_size");
    char version[32];
    const char *v = test_json_find(json, "disk_version");
    if (v && test_json_string(v, version, sizeof(version))) {
        m->disk_version = (uint32_t)strtoul(version, NULL, 16);
    }

    const char *p = test_json_find(json, "entries");
    while (p && (p = test_json_find(p, "path"))
            && m->count < TEST_MAX_ENTRIES) {
        struct test_entry *e = &m->entries[m->count++];
        p = test_json_string(p, e->path, sizeof(e->path));
        const char *next = p ? strstr(p, "\"path\"") : NULL;
        const char *end = next ? next : p + strlen(p);

        char type[16];
        const char *t = test_json_find(p, "type");
        if (t && t < end) {
            test_json_string(t, type, sizeof(type));
            e->isdir = strcmp(type, "dir") == 0;
        }
        const char *s = test_json_find(p, "size");
        if (s && s < end) {
            e->size = (lfs_size_t)strtoul(s + strspn(s, ": "), NULL, 10);
        }
        const char *h = test_json_find(p, "sha256");
        if (h && h < end) {
            test_json_string(h, e->sha256, sizeof(e->sha256));
        }
        const char *a = test_json_find(p, "attrs");
        if (a && a < end) {
            a = strchr(a, '{') + 1;
            const char *close = strchr(a, '}');
            while (e->attr_count < TEST_MAX_ATTRS) {
                const char *q = strchr(a, '"');
                if (!q || q > close) {
                    break;
                }
                char key[8], val[600];
                a = test_json_string(a, key, sizeof(key));
                a = test_json_string(a, val, sizeof(val));
                struct test_attr *at = &e->attrs[e->attr_count++];
                at->type = (uint8_t)strtoul(key, NULL, 16);
                at->size = test_unhex(val, at->data, sizeof(at->data));
            }
        }
        p = end;
        if (!next) {
            break;
        }
    }
    free(json);
    return true;
}

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------- */

struct test_sha256 {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;
    uint64_t total;
};

static inline uint32_t test_ror(uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

static inline void test_sha256_block(struct test_sha256 *s, const uint8_t *p) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
        0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
        0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
        0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
        0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
        0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
        0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = ((uint32_t)p[4*i] << 24) | ((uint32_t)p[4*i+1] << 16)
                | ((uint32_t)p[4*i+2] << 8) | (uint32_t)p[4*i+3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = test_ror(w[i-15], 7) ^ test_ror(w[i-15], 18)
                ^ (w[i-15] >> 3);
        uint32_t s1 = test_ror(w[i-2], 17) ^ test_ror(w[i-2], 19)
                ^ (w[i-2] >> 10);
        w[i] = w[i-16] + s0 + w[i-7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (test_ror(e, 6) ^ test_ror(e, 11) ^ test_ror(e, 25))
                + ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (test_ror(a, 2) ^ test_ror(a, 13) ^ test_ror(a, 22))
                + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static inline void test_sha256_init(struct test_sha256 *s) {
    static const uint32_t h0[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(s->h, h0, sizeof(h0));
    s->fill = 0;
    s->total = 0;
}

static inline void test_sha256_update(struct test_sha256 *s, const void *data,
        size_t size) {
    const uint8_t *p = data;
    s->total += size;
    while (size > 0) {
        size_t n = 64 - s->fill < size ? 64 - s->fill : size;
        memcpy(s->block + s->fill, p, n);
        s->fill += n;
        p += n;
        size -= n;
        if (s->fill == 64) {
            test_sha256_block(s, s->block);
            s->fill = 0;
        }
    }
}

static inline void test_sha256_hex(struct test_sha256 *s, char out[65]) {
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80;
    test_sha256_update(s, &pad, 1);
    pad = 0;
    while (s->fill != 56) {
        test_sha256_update(s, &pad, 1);
    }
    uint8_t len[8];
    for (int i = 0; i < 8; i++) {
        len[i] = (uint8_t)(bits >> (56 - 8*i));
    }
    test_sha256_update(s, len, 8);
    for (int i = 0; i < 8; i++) {
        snprintf(out + 8*i, 9, "%08x", s->h[i]);
    }
}

/* ---- building metadata blocks by hand ---------------------------------- */
#ifdef TEST_LFS_MBUILDER
/* Uses the core's own byte-order helpers, so only tests that build against
 * this core (not another littlefs-API core) ask for it. */

/* Writes one metadata block the way the spec lays it out: revision count,
 * then commits of xor-chained big-endian tags, each closed by a CRC tag
 * padded to prog_size (and, optionally, preceded by an FCRC). */
struct mbuilder {
    uint8_t *b;
    lfs_size_t block_size, prog_size;
    lfs_off_t off;
    lfs_off_t start;    /* first byte of the open commit */
    lfs_off_t crcoff;   /* CRC tag of the last closed commit */
    uint32_t ptag;
};

static inline uint32_t mk(uint32_t type, uint32_t id, uint32_t size) {
    return (type << 20) | (id << 10) | size;
}

static inline void mb_begin(struct mbuilder *m, uint8_t *block,
        lfs_size_t block_size, lfs_size_t prog_size, uint32_t rev) {
    m->b = block;
    m->block_size = block_size;
    m->prog_size = prog_size;
    memset(block, 0xff, block_size);
    lfs_put_le32(block, rev);
    m->off = 4;
    m->start = 0;
    m->ptag = 0xffffffff;
}

static inline void mb_tag(struct mbuilder *m, uint32_t tag, const void *data) {
    lfs_put_be32(m->b + m->off, tag ^ m->ptag);
    uint32_t size = tag & 0x3ff;
    if (size != 0x3ff && size) {
        memcpy(m->b + m->off + 4, data, size);
    }
    m->off += 4 + (size == 0x3ff ? 0 : size);
    m->ptag = tag & 0x7fffffff;
}

static inline void mb_name(struct mbuilder *m, uint32_t type, uint32_t id,
        const char *name) {
    mb_tag(m, mk(type, id, (uint32_t)strlen(name)), name);
}

static inline void mb_pair(struct mbuilder *m, uint32_t type, uint32_t id,
        lfs_block_t a, lfs_block_t b) {
    uint8_t raw[8];
    lfs_put_le32(raw, a);
    lfs_put_le32(raw + 4, b);
    mb_tag(m, mk(type, id, 8), raw);
}

/* Close the commit.  fcrc_size > 0 adds an FCRC of that many bytes after
 * the commit, computed over what the block holds there now. */
static inline void mb_commit(struct mbuilder *m, lfs_size_t fcrc_size) {
    lfs_off_t end;
    if (fcrc_size) {
        // the FCRC covers bytes after this commit's padding
        end = lfs_alignup(m->off + 12 + 8, m->prog_size);
        uint8_t raw[8];
        lfs_put_le32(raw, fcrc_size);
        lfs_put_le32(raw + 4, lfs_crc(0xffffffff, m->b + end, fcrc_size));
        mb_tag(m, mk(0x5ff, 0x3ff, 8), raw);
    }
    end = lfs_alignup(m->off + 8, m->prog_size);
    uint32_t tag = mk(0x500, 0x3ff, end - m->off - 4);
    m->crcoff = m->off;
    lfs_put_be32(m->b + m->off, tag ^ m->ptag);
    uint32_t crc = lfs_crc(0xffffffff, m->b + m->start,
            m->off + 4 - m->start);
    lfs_put_le32(m->b + m->off + 4, crc);
    // the padding is not covered; leave it erased
    m->off = end;
    m->start = end;
    m->ptag = tag;
}

/* A new entry: a file with inline data, or a directory naming a pair. */
static inline void mb_file(struct mbuilder *m, uint32_t id, const char *name,
        const char *data) {
    mb_tag(m, mk(0x401, id, 0), NULL);
    mb_name(m, LFS_TYPE_REG, id, name);
    mb_tag(m, mk(0x201, id, (uint32_t)strlen(data)), data);
}

static inline void mb_dir(struct mbuilder *m, uint32_t id, const char *name,
        lfs_block_t a, lfs_block_t b) {
    mb_tag(m, mk(0x401, id, 0), NULL);
    mb_name(m, LFS_TYPE_DIR, id, name);
    mb_pair(m, 0x200, id, a, b);
}

/* A gstate delta: tag (0x80000000 for "orphans exist", a delete tag for a
 * pending move) and the pair a move is in. */
static inline void mb_gstate(struct mbuilder *m, uint32_t tag,
        lfs_block_t a, lfs_block_t b) {
    uint8_t raw[12];
    lfs_put_le32(raw, tag);
    lfs_put_le32(raw + 4, a);
    lfs_put_le32(raw + 8, b);
    mb_tag(m, mk(0x7ff, 0x3ff, 12), raw);
}

/* Superblock entry (id 0) of a 2.x filesystem. */
static inline void mb_superblock(struct mbuilder *m, uint32_t version,
        lfs_size_t block_size, lfs_size_t block_count,
        lfs_size_t name_max, lfs_size_t file_max, lfs_size_t attr_max) {
    uint8_t sb[24];
    lfs_put_le32(sb + 0, version);
    lfs_put_le32(sb + 4, block_size);
    lfs_put_le32(sb + 8, block_count);
    lfs_put_le32(sb + 12, name_max);
    lfs_put_le32(sb + 16, file_max);
    lfs_put_le32(sb + 20, attr_max);
    mb_tag(m, mk(0x401, 0, 0), NULL);
    mb_tag(m, mk(0x0ff, 0, 8), "littlefs");
    mb_tag(m, mk(0x201, 0, 24), sb);
}

#endif

/* ---- seeded PRNG (xorshift32) ------------------------------------------ */

static inline uint32_t test_prng(uint32_t *state) {
    uint32_t x = *state ? *state : 0x9e3779b9;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif
