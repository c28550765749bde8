/*
 * prng.h - the device's deterministic random source (internal).
 *
 * One 64-bit state per device, advanced by the splitmix64 step.  Every random
 * choice the emulator makes goes through these functions, so the same seed
 * and the same calls give the same results.
 */
#ifndef BD_EMU_PRNG_H
#define BD_EMU_PRNG_H

#include <stdint.h>

/* The splitmix64 finaliser: a bijective 64-bit mixer. */
static inline uint64_t bde_fmix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static inline uint64_t bde_prng_next(uint64_t *state)
{
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return bde_fmix64(*state);
}

/* The state a seed starts from. */
uint64_t bde_prng_seed(uint64_t seed);
/* Uniform in [0, n); n > 0.  Unbiased (rejection). */
uint64_t bde_prng_below(uint64_t *state, uint64_t n);
/* Fills size bytes with random bytes, one draw per 8 bytes, least
 * significant byte first. */
void bde_prng_bytes(uint64_t *state, uint8_t *dst, uint32_t size);
/* Number of Bernoulli(p) failures before the next success, given
 * log1m = ln(1 - p) < 0 (a geometric skip for sparse random events).
 * Saturates at UINT64_MAX. */
uint64_t bde_prng_geometric(uint64_t *state, double log1m);
/* ln(1 - p) for 0 < p < 1, without libm. */
double bde_log1m(double p);

#endif
