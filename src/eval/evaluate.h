// evaluate.h: `fakeit eval`, measuring fakes against real images.
//
//   - sliced Wasserstein distance (swd.h) of fakes vs reals, per pyramid
//     level and averaged, beside the same figure for two disjoint sets of
//     reals (the floor a perfect generator would reach at this set size);
//   - copy detection: each fake's nearest training image by pixel L2, at
//     full size and box-downsampled 4x (which forgives small shifts and
//     noise), set against the typical nearest-neighbour distance between
//     training images; a fake closer than half of that is flagged as a likely
//     copy; nearest.png pairs the closest fakes (top row) with their training
//     images (bottom row);
//   - a mode-collapse alarm: the mean pairwise distance of the fakes over
//     that of the reals, and the share of fakes with a near-twin among the
//     fakes, with a plain-language verdict.
#ifndef FAKEIT_EVALUATE_H
#define FAKEIT_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "eval/swd.h"

#include "backend/backend.h"
#include "gan/wgan.h"

typedef struct {
    int swd_only;         // skip copy detection and diversity
    const char *real;     // DATA.fkd
    const char *fake;     // a model (netG.safetensors), a folder of images or DATA.fkd
    const char *train;    // DATA.fkd for copy detection (default: real, or the run's data)
    const char *sheet;    // nearest.png (default: beside the model, else ./nearest.png)
    const char *backend;  // for generating from a model
    int n;                // images per set (default 2000)
    int json;             // one JSON object with every figure on the last line
    int threads;
    uint64_t seed;
} EvalOpts;

int eval_run(const EvalOpts *o);

// Nearest neighbour by squared L2 over D bytes, exact in integers: for each of
// nq queries, the index (in ref) and distance of the closest of nr refs.
// skip_same: queries are refs q_index[i] of the same set; that one is skipped.
void eval_nearest(uint32_t *idx, double *dist, const uint8_t *q, size_t nq, const uint8_t *ref, size_t nr, size_t D,
                  const uint32_t *skip_same);

// Box-downsampling by f: (n, C, S, S) -> (n, C, S/f, S/f), rounded means.
void eval_downsample(uint8_t *out, const uint8_t *in, size_t n, int C, int S, int f);

// Mean L2 distance over `pairs` random pairs of distinct images of a set.
double eval_mean_pair_distance(const uint8_t *x, size_t n, size_t D, int pairs, uint64_t seed);

// A random permutation of 0 .. n-1 from `seed` (Fisher-Yates).
void eval_perm(uint32_t *p, uint32_t n, uint64_t seed);

// Images skip .. skip + n of a random order (perm of `seed`) of a set of
// `count` images of `img` bytes; returns how many there were.
size_t eval_take(uint8_t *dst, const uint8_t *pix, size_t count, size_t img, size_t skip, size_t n, uint64_t seed);

// n fakes of generator G as bytes, from noise of `seed` (the way `fakeit
// eval` draws them from a model file).
void eval_fakes(uint8_t *dst, const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed);

// The SWD figures of `fakeit eval --seed seed`: reals ra, fakes, n images each.
void eval_swd(SwdResult *r, const uint8_t *ra, const uint8_t *fakes, int n, int C, int S, uint64_t seed);

// [-1, 1] floats -> bytes as the data sets hold them: round(v * 127.5 + 127.5), clamped.
void eval_to_bytes(uint8_t *dst, const float *src, size_t n);

#endif
