/*
 * wear_stats.h - how even a per-block wear distribution is.
 */
#ifndef TORTURE_WEAR_STATS_H
#define TORTURE_WEAR_STATS_H

#include <stddef.h>
#include <stdint.h>

struct wear_stats {
    uint32_t min, max;
    double mean;
    double stddev;      /* population standard deviation */
    double gini;        /* 0: all equal; (n-1)/n: one block took every erase */
    uint64_t sum;
};

/* Statistics of v[0..n). n = 0 or an all-zero v give zeros. Returns -1
 * when out of memory (Gini sorts a copy), else 0. */
int wear_stats_compute(const uint32_t *v, size_t n, struct wear_stats *out);

#endif
