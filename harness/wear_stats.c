/*
 * wear_stats.c - min, mean, max, standard deviation and Gini coefficient
 * of per-block wear.
 *
 * Gini over the values sorted ascending x_1 <= ... <= x_n:
 *   G = sum_i (2i - n - 1) x_i / (n * sum_i x_i)
 * (the mean absolute difference over twice the mean); 0 when the sum is 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wear_stats.h"

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int wear_stats_compute(const uint32_t *v, size_t n, struct wear_stats *out) {
    memset(out, 0, sizeof(*out));
    if (n == 0) {
        return 0;
    }
    uint32_t *sorted = malloc(n * sizeof(uint32_t));
    if (!sorted) {
        return -1;
    }
    memcpy(sorted, v, n * sizeof(uint32_t));
    qsort(sorted, n, sizeof(uint32_t), cmp_u32);
    out->min = sorted[0];
    out->max = sorted[n - 1];
    double weighted = 0;
    for (size_t i = 0; i < n; i++) {
        out->sum += sorted[i];
        weighted += (2.0 * (double)(i + 1) - (double)n - 1.0) * sorted[i];
    }
    free(sorted);
    out->mean = (double)out->sum / (double)n;
    double sq = 0;
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - out->mean;
        sq += d * d;
    }
    out->stddev = sqrt(sq / (double)n);
    out->gini = out->sum ? weighted / ((double)n * (double)out->sum) : 0.0;
    return 0;
}
