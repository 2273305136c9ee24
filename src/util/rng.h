// rng.h: fakeit's own seedable random generator.
//
// xoshiro256** seeded through splitmix64, normals by Box-Muller in double.
// Everything is integer or IEEE double arithmetic in a fixed order, so a seed
// gives the same stream on every machine and build. The state is four words,
// small enough to store in a checkpoint.
#ifndef FAKEIT_RNG_H
#define FAKEIT_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} Rng;

void     rng_seed(Rng *r, uint64_t seed);
uint64_t rng_u64(Rng *r);
double   rng_uniform(Rng *r);  // [0, 1) with 53 random bits
double   rng_normal(Rng *r);   // N(0, 1)

// Fills x[0..n) with N(mean, std) (float-rounded), one rng_normal per value.
void rng_fill_normal(Rng *r, float *x, size_t n, float mean, float std);

#endif
