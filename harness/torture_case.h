/*
 * torture_case.h - what the code of a TOML case sees.
 *
 * Included by the C that scripts/case_compiler.py generates: the implicit
 * defines as macros (read lazily from the current permutation), the
 * assertion macros the `=>` shorthand and assert() are rewritten into, and
 * access to the emulated device behind a case's cfg. The harness includes
 * it only for the prototypes it implements; its own code never uses the
 * define macros, which would shadow ordinary identifiers.
 */
#ifndef TORTURE_CASE_H
#define TORTURE_CASE_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lfs.h"
#include "bd_emu.h"
#include "torture_registry.h"

#if defined(__GNUC__)
#define TORTURE_NORETURN __attribute__((noreturn))
#else
#define TORTURE_NORETURN
#endif

/* The value of define `id` in the running permutation. A define that is
 * not defined there, or that refers back to itself, fails the run. */
intmax_t torture_define(int id);

#define READ_SIZE           torture_define(TD_READ_SIZE)
#define PROG_SIZE           torture_define(TD_PROG_SIZE)
#define ERASE_SIZE          torture_define(TD_ERASE_SIZE)
#define ERASE_COUNT         torture_define(TD_ERASE_COUNT)
#define BLOCK_SIZE          torture_define(TD_BLOCK_SIZE)
#define BLOCK_COUNT         torture_define(TD_BLOCK_COUNT)
#define CACHE_SIZE          torture_define(TD_CACHE_SIZE)
#define LOOKAHEAD_SIZE      torture_define(TD_LOOKAHEAD_SIZE)
#define COMPACT_THRESH      torture_define(TD_COMPACT_THRESH)
#define METADATA_MAX        torture_define(TD_METADATA_MAX)
#define INLINE_MAX          torture_define(TD_INLINE_MAX)
#define BLOCK_CYCLES        torture_define(TD_BLOCK_CYCLES)
#define ERASE_VALUE         torture_define(TD_ERASE_VALUE)
#define ERASE_CYCLES        torture_define(TD_ERASE_CYCLES)
#define BADBLOCK_BEHAVIOR   torture_define(TD_BADBLOCK_BEHAVIOR)
#define POWERLOSS_BEHAVIOR  torture_define(TD_POWERLOSS_BEHAVIOR)
#define DISK_VERSION        torture_define(TD_DISK_VERSION)

/* Upstream's names for device behaviours, as define values. */
#define LFS_EMUBD_BADBLOCK_PROGERROR  BD_EMU_BAD_PROG_ERROR
#define LFS_EMUBD_BADBLOCK_ERASEERROR BD_EMU_BAD_ERASE_ERROR
#define LFS_EMUBD_BADBLOCK_READERROR  BD_EMU_BAD_READ_ERROR
#define LFS_EMUBD_BADBLOCK_PROGNOOP   BD_EMU_BAD_PROG_NOOP
#define LFS_EMUBD_BADBLOCK_ERASENOOP  BD_EMU_BAD_ERASE_NOOP
#define LFS_EMUBD_POWERLOSS_NOOP      BD_EMU_FAULT_ATOMIC
#define LFS_EMUBD_POWERLOSS_OOO       BD_EMU_FAULT_OUT_OF_ORDER

/* The emulated device behind a case's cfg, for bd_emu_* calls (wear, bad
 * blocks, counters). Block numbers there are erase blocks. */
bd_emu_t *torture_bd(const struct lfs_config *cfg);

/* Fails the running permutation with a printf-style message. */
void torture_fail(const char *file, int line, const char *fmt, ...) TORTURE_NORETURN;

void torture_fail_eq(const char *file, int line, const char *text,
        intmax_t got, intmax_t want) TORTURE_NORETURN;
void torture_fail_cmp(const char *file, int line, const char *text,
        intmax_t a, const char *op, intmax_t b) TORTURE_NORETURN;
void torture_fail_true(const char *file, int line, const char *text) TORTURE_NORETURN;
void torture_fail_memcmp(const char *file, int line, const char *text,
        const void *a, const void *b, size_t n, intmax_t got, intmax_t want) TORTURE_NORETURN;
void torture_fail_strcmp(const char *file, int line, const char *text,
        const char *a, const char *b, intmax_t got, intmax_t want) TORTURE_NORETURN;

#define TORTURE_ASSERT_EQ(a, b, text, line) do { \
        intmax_t torture_a_ = (intmax_t)(a); \
        intmax_t torture_b_ = (intmax_t)(b); \
        if (torture_a_ != torture_b_) \
            torture_fail_eq(__FILE__, line, text, torture_a_, torture_b_); \
    } while (0)

#define TORTURE_ASSERT_CMP(a, op, b, text, line) do { \
        intmax_t torture_a_ = (intmax_t)(a); \
        intmax_t torture_b_ = (intmax_t)(b); \
        if (!(torture_a_ op torture_b_)) \
            torture_fail_cmp(__FILE__, line, text, torture_a_, #op, torture_b_); \
    } while (0)

#define TORTURE_ASSERT_TRUE(e, text, line) do { \
        if (!(e)) torture_fail_true(__FILE__, line, text); \
    } while (0)

#define TORTURE_ASSERT_MEMCMP(a, b, n, want, text, line) do { \
        const void *torture_pa_ = (a); \
        const void *torture_pb_ = (b); \
        size_t torture_n_ = (size_t)(n); \
        int torture_r_ = memcmp(torture_pa_, torture_pb_, torture_n_); \
        intmax_t torture_w_ = (intmax_t)(want); \
        if ((intmax_t)torture_r_ != torture_w_) \
            torture_fail_memcmp(__FILE__, line, text, torture_pa_, torture_pb_, \
                    torture_n_, torture_r_, torture_w_); \
    } while (0)

#define TORTURE_ASSERT_STRCMP(a, b, want, text, line) do { \
        const char *torture_sa_ = (a); \
        const char *torture_sb_ = (b); \
        int torture_r_ = strcmp(torture_sa_, torture_sb_); \
        intmax_t torture_w_ = (intmax_t)(want); \
        if ((intmax_t)torture_r_ != torture_w_) \
            torture_fail_strcmp(__FILE__, line, text, torture_sa_, torture_sb_, \
                    torture_r_, torture_w_); \
    } while (0)

#endif
