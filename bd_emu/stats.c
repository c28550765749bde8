/*
 * stats.c - sparse per-block counters (wear, reads, progs, factory-bad flag,
 * dirty-since-sync mark).
 *
 * Three levels: a top array sized for the device, middle arrays of chunk
 * pointers and chunks of BDE_STAT_CHUNK entries, the last two allocated on
 * first use.  An untouched block costs nothing and reads as all zero.  These
 * are device-lifetime state: snapshots do not capture them.
 */
#include "bd_emu_internal.h"

#include <stdlib.h>

#define MID_SPAN ((uint64_t)BDE_STAT_CHUNK * BDE_STAT_CHUNK)

int bde_stats_init(struct bde_stats *st, uint32_t block_count)
{
    st->ntop = (uint32_t)(((uint64_t)block_count + MID_SPAN - 1) / MID_SPAN);
    st->top = calloc(st->ntop, sizeof *st->top);
    st->bytes = st->ntop * sizeof *st->top;
    return st->top ? 0 : LFS_ERR_NOMEM;
}

void bde_stats_free(struct bde_stats *st)
{
    for (uint32_t i = 0; i < st->ntop; i++) {
        if (!st->top[i]) {
            continue;
        }
        for (uint32_t j = 0; j < BDE_STAT_CHUNK; j++) {
            free(st->top[i][j]);
        }
        free(st->top[i]);
    }
    free(st->top);
    st->top = NULL;
    st->ntop = 0;
    st->bytes = 0;
}

struct bde_stat *bde_stats_get(struct bde_stats *st, uint32_t block)
{
    struct bde_stat ***mid = &st->top[block / MID_SPAN];
    if (!*mid) {
        *mid = calloc(BDE_STAT_CHUNK, sizeof **mid);
        if (!*mid) {
            return NULL;
        }
        st->bytes += BDE_STAT_CHUNK * sizeof **mid;
    }
    struct bde_stat **chunk = &(*mid)[(block >> BDE_STAT_BITS) & (BDE_STAT_CHUNK - 1)];
    if (!*chunk) {
        *chunk = calloc(BDE_STAT_CHUNK, sizeof **chunk);
        if (!*chunk) {
            return NULL;
        }
        st->bytes += BDE_STAT_CHUNK * sizeof **chunk;
    }
    return &(*chunk)[block & (BDE_STAT_CHUNK - 1)];
}

const struct bde_stat *bde_stats_peek(const struct bde_stats *st, uint32_t block)
{
    struct bde_stat **mid = st->top[block / MID_SPAN];
    if (!mid) {
        return NULL;
    }
    struct bde_stat *chunk = mid[(block >> BDE_STAT_BITS) & (BDE_STAT_CHUNK - 1)];
    return chunk ? &chunk[block & (BDE_STAT_CHUNK - 1)] : NULL;
}

/* Calls fn on every allocated entry. */
static void for_each(struct bde_stats *st, void (*fn)(struct bde_stat *s))
{
    for (uint32_t i = 0; i < st->ntop; i++) {
        for (uint32_t j = 0; st->top[i] && j < BDE_STAT_CHUNK; j++) {
            for (uint32_t k = 0; st->top[i][j] && k < BDE_STAT_CHUNK; k++) {
                fn(&st->top[i][j][k]);
            }
        }
    }
}

static void reset_io(struct bde_stat *s)
{
    s->reads = 0;
    s->progs = 0;
}

static void clear_epoch(struct bde_stat *s)
{
    s->dirty_epoch = 0;
}

void bde_stats_reset_io(struct bde_stats *st)
{
    for_each(st, reset_io);
}

void bde_stats_clear_epochs(struct bde_stats *st)
{
    for_each(st, clear_epoch);
}
