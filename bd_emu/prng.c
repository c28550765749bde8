/*
 * prng.c - the device PRNG (splitmix64) and the few distributions the fault
 * models need: uniform integers, random bytes, geometric skips.
 *
 * Assumes IEEE-754 doubles for the geometric skip; uses no libm so the
 * library links with nothing but libc.
 */
#include "prng.h"

#include <string.h>

uint64_t bde_prng_seed(uint64_t seed)
{
    /* decorrelate nearby seeds (0, 1, 2, ...) from the first draw on */
    return bde_fmix64(seed ^ UINT64_C(0x6a09e667f3bcc909));
}

uint64_t bde_prng_below(uint64_t *state, uint64_t n)
{
    /* reject the top partial copy of [0, n) so every value is equally likely */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = bde_prng_next(state);
    } while (x >= limit);
    return x % n;
}

void bde_prng_bytes(uint64_t *state, uint8_t *dst, uint32_t size)
{
    uint32_t i = 0;
    while (i < size) {
        uint64_t r = bde_prng_next(state);
        for (uint32_t j = 0; j < 8 && i < size; j++, i++) {
            dst[i] = (uint8_t)(r >> (8 * j));
        }
    }
}

/* ln(x) for finite x > 0: split x = m * 2^e with m in [1, 2), then
 * ln m = 2 atanh(z), z = (m-1)/(m+1) <= 1/3, by its odd power series. */
static double ln_positive(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (UINT64_C(1023) << 52);
    double m;
    memcpy(&m, &bits, sizeof m);

    double z = (m - 1.0) / (m + 1.0);
    double z2 = z * z;
    double term = z;
    double sum = 0.0;
    for (int k = 1; k < 60; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2.0 * sum + e * 0.69314718055994530942;
}

double bde_log1m(double p)
{
    if (p < 1e-3) {
        /* -(p + p^2/2 + ... + p^6/6): exact to double precision here,
         * where 1 - p would lose p's low bits */
        double sum = 0.0, pk = p;
        for (int k = 1; k <= 6; k++) {
            sum += pk / k;
            pk *= p;
        }
        return -sum;
    }
    return ln_positive(1.0 - p);
}

uint64_t bde_prng_geometric(uint64_t *state, double log1m)
{
    /* u uniform in (0, 1]: never 0, so ln(u) is finite */
    double u = (double)((bde_prng_next(state) >> 11) + 1) * (1.0 / 9007199254740992.0);
    double skip = ln_positive(u) / log1m;
    if (!(skip < 1.8e19)) {
        return UINT64_MAX;
    }
    return (uint64_t)skip;
}
