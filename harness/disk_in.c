/*
 * disk_in.c - the image a run starts from: reading it (content hash,
 * superblock probe), loading it into a fresh device, and its id field.
 *
 * Assumes the image is a raw dump of the whole device (erase blocks in
 * order). The probe reads only the first commit of a superblock block (the
 * name tag at offset 4 and the inline struct after it), as the format puts
 * them there; it needs no mount and trusts nothing beyond those fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk_in.h"

static struct torture_disk_image current;
static bool active;

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The superblock at the start of blk (avail bytes): 0, or -1 if none. */
static int parse_superblock(const uint8_t *blk, uint64_t avail, struct torture_disk_image *img) {
    if (avail < 44 || memcmp(blk + 8, "littlefs", 8) != 0) {
        return -1;
    }
    uint32_t name = be32(blk + 4) ^ UINT32_C(0xffffffff);
    uint32_t st = be32(blk + 16) ^ name;
    if ((name & UINT32_C(0x80000000)) || ((name >> 20) & 0x7ff) != 0x0ff
            || (name & 0x3ff) != 8 || (st & UINT32_C(0x80000000))
            || ((st >> 20) & 0x7ff) != 0x201 || (st & 0x3ff) < 12) {
        return -1;
    }
    img->version = le32(blk + 20);
    img->block_size = le32(blk + 24);
    img->block_count = le32(blk + 28);
    return 0;
}

/* Block 0 at offset 0, else block 1 at each power of two dividing the
 * size; a superblock counts only if its block size divides the size and
 * (block 1) equals the offset it was found at. */
static void probe(const uint8_t *data, uint64_t size, struct torture_disk_image *img) {
    struct torture_disk_image t = *img;
    if (parse_superblock(data, size, &t) == 0 && t.block_size >= 16
            && size % t.block_size == 0) {
        *img = t;
        img->superblock = true;
        return;
    }
    for (uint64_t b = 128; b <= (UINT64_C(1) << 20) && 2 * b <= size; b *= 2) {
        t = *img;
        if (size % b == 0 && parse_superblock(data + b, size - b, &t) == 0
                && t.block_size == b) {
            *img = t;
            img->superblock = true;
            return;
        }
    }
}

int torture_disk_image_open(const char *path, struct torture_disk_image *img,
        char *err, size_t errlen) {
    memset(img, 0, sizeof(*img));
    if (strlen(path) >= sizeof(img->path)) {
        snprintf(err, errlen, "--disk-in: path too long");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--disk-in %s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *d = realloc(data, cap);
            if (!d) {
                free(data);
                fclose(f);
                snprintf(err, errlen, "--disk-in %s: out of memory", path);
                return -1;
            }
            data = d;
        }
        size_t n = fread(data + size, 1, cap - size, f);
        size += n;
        if (n == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || size == 0) {
        free(data);
        snprintf(err, errlen, "--disk-in %s: %s", path, bad ? "read error" : "empty file");
        return -1;
    }
    strcpy(img->path, path);
    img->size = size;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * UINT64_C(0x100000001b3);
    }
    snprintf(img->hash, sizeof(img->hash), "%016llx", (unsigned long long)h);
    probe(data, size, img);
    free(data);
    return 0;
}

void torture_disk_in_set(const struct torture_disk_image *img) {
    active = img != NULL;
    if (img) {
        current = *img;
    }
}

const struct torture_disk_image *torture_disk_in_image(void) {
    return active ? &current : NULL;
}

bool torture_disk_in(void) {
    return active;
}

int torture_disk_in_load(bd_emu_t *bd, uint32_t erase_size, uint32_t erase_count,
        uint32_t block_size, uint32_t block_count, char *err, size_t errlen) {
    const struct torture_disk_image *img = &current;
    if (!active) {
        snprintf(err, errlen, "no --disk-in image");
        return -1;
    }
    uint64_t dev = (uint64_t)erase_size * erase_count;
    if (img->size != dev) {
        snprintf(err, errlen, "--disk-in %s is %llu bytes, but the geometry's device is "
                "%u blocks of %u bytes (%llu bytes): choose a geometry that matches the "
                "image (or no -G, to derive it from the image)", img->path,
                (unsigned long long)img->size, erase_count, erase_size,
                (unsigned long long)dev);
        return -1;
    }
    if (img->superblock && img->block_size != block_size) {
        snprintf(err, errlen, "--disk-in %s: its superblock says block size %u, but "
                "BLOCK_SIZE is %u", img->path, img->block_size, block_size);
        return -1;
    }
    if (img->superblock && block_count && img->block_count != block_count) {
        snprintf(err, errlen, "--disk-in %s: its superblock says %u blocks, but "
                "BLOCK_COUNT is %u", img->path, img->block_count, block_count);
        return -1;
    }
    int rc = bd_emu_load_image(bd, img->path);
    if (rc) {
        snprintf(err, errlen, "--disk-in %s: cannot load it (error %d; changed since "
                "the run started?)", img->path, rc);
        return -1;
    }
    return 0;
}

void torture_disk_in_field(const struct torture_disk_image *img, char *buf, size_t len) {
    size_t used = (size_t)snprintf(buf, len, "disk=");
    for (const char *p = img->path; *p && used + 4 < len; p++) {
        if (*p == ':' || *p == '%') {
            used += (size_t)snprintf(buf + used, len - used, "%%%02x", (unsigned char)*p);
        } else {
            buf[used++] = *p;
            buf[used] = '\0';
        }
    }
    if (used < len) {
        snprintf(buf + used, len - used, "@%.*s", TORTURE_DISK_IN_HASH_LEN, img->hash);
    }
}

int torture_disk_in_parse_field(const char *field, char *path, size_t pathlen,
        char *hash, size_t hashlen, char *err, size_t errlen) {
    const char *at = strrchr(field, '@');
    if (strncmp(field, "disk=", 5) != 0 || !at || at == field + 5
            || strlen(at + 1) != TORTURE_DISK_IN_HASH_LEN
            || strspn(at + 1, "0123456789abcdef") != TORTURE_DISK_IN_HASH_LEN
            || hashlen <= TORTURE_DISK_IN_HASH_LEN) {
        snprintf(err, errlen, "bad disk field '%s' in id (disk=PATH@HASH, %d hex digits)",
                field, TORTURE_DISK_IN_HASH_LEN);
        return -1;
    }
    size_t used = 0;
    for (const char *p = field + 5; p < at; p++) {
        char c = *p;
        if (c == '%') {
            if (strncmp(p, "%3a", 3) == 0) {
                c = ':';
            } else if (strncmp(p, "%25", 3) == 0) {
                c = '%';
            } else {
                snprintf(err, errlen, "bad escape in disk field '%s' (%%3a or %%25)", field);
                return -1;
            }
            p += 2;
        }
        if (used + 1 >= pathlen) {
            snprintf(err, errlen, "disk path too long in id");
            return -1;
        }
        path[used++] = c;
    }
    path[used] = '\0';
    memcpy(hash, at + 1, TORTURE_DISK_IN_HASH_LEN + 1);
    return 0;
}
