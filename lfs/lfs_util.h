/*
 * lfs_util.h - small portable helpers shared by the core: byte order,
 * arithmetic on sizes, and the CRC-32 every commit is checked with.
 * Assumes a C99 compiler and nothing of the platform beyond <stdint.h>.
 */
#ifndef LFS_UTIL_H
#define LFS_UTIL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* CRC-32, polynomial 0x04c11db7 (reflected), continued from `crc`.
 * A fresh checksum starts from 0xffffffff and is not inverted at the end. */
uint32_t lfs_crc(uint32_t crc, const void *buffer, size_t size);

#endif
