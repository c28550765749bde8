/*
 * lfs_util.h - small portable helpers shared by the core: byte order,
 * arithmetic on sizes, bit counting, and the CRC-32 every commit is checked
 * with.  Assumes a C99 compiler and nothing of the platform beyond the
 * standard headers; GCC/Clang builtins are used when available.
 */
#ifndef LFS_UTIL_H
#define LFS_UTIL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

/* CRC-32, polynomial 0x04c11db7 (reflected), continued from `crc`.
 * A fresh checksum starts from 0xffffffff and is not inverted at the end. */
uint32_t lfs_crc(uint32_t crc, const void *buffer, size_t size);

static inline uint32_t lfs_min(uint32_t a, uint32_t b) {
    return a < b ? a : b;
}

static inline uint32_t lfs_max(uint32_t a, uint32_t b) {
    return a > b ? a : b;
}

/* Round down / up to a multiple of align (align > 0). */
static inline uint32_t lfs_aligndown(uint32_t a, uint32_t align) {
    return a - (a % align);
}

static inline uint32_t lfs_alignup(uint32_t a, uint32_t align) {
    return lfs_aligndown(a + align - 1, align);
}

/* Number of trailing zero bits; a must be nonzero. */
static inline uint32_t lfs_ctz(uint32_t a) {
#if defined(__GNUC__)
    return (uint32_t)__builtin_ctz(a);
#else
    uint32_t n = 0;
    while (!(a & 1)) {
        a >>= 1;
        n += 1;
    }
    return n;
#endif
}

/* Number of one bits. */
static inline uint32_t lfs_popc(uint32_t a) {
#if defined(__GNUC__)
    return (uint32_t)__builtin_popcount(a);
#else
    uint32_t n = 0;
    while (a) {
        a &= a - 1;
        n += 1;
    }
    return n;
#endif
}

/* Smallest n with 2^n >= a (0 for a <= 1). */
static inline uint32_t lfs_npw2(uint32_t a) {
    uint32_t n = 0;
    while (n < 32 && ((uint32_t)1 << n) < a) {
        n += 1;
    }
    return n;
}

/* Sequence comparison of two wrapping 32-bit counters: >0 if a is after b,
 * 0 if equal, <0 if a is before b. */
static inline int lfs_scmp(uint32_t a, uint32_t b) {
    uint32_t d = a - b;
    return d == 0 ? 0 : (d < 0x80000000u ? 1 : -1);
}

static inline uint32_t lfs_get_le32(const void *p) {
    const uint8_t *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8)
            | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline uint32_t lfs_get_be32(const void *p) {
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16)
            | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

static inline void lfs_put_le32(void *p, uint32_t v) {
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 0);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static inline void lfs_put_be32(void *p, uint32_t v) {
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)(v >> 0);
}

/* The core allocates only the buffers its configuration leaves NULL. */
static inline void *lfs_malloc(size_t size) {
    return malloc(size);
}

static inline void lfs_free(void *p) {
    free(p);
}

#endif
