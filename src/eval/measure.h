// measure.h: measurements on sets of images as bytes ((n, C, S, S) planar
// uint8, as data sets hold them), and the choice of those sets: what
// `fakeit eval`, `train --eval-every` and the tests share.
#ifndef FAKEIT_MEASURE_H
#define FAKEIT_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "eval/swd.h"

// Nearest neighbour by squared L2 over D bytes, exact in integers: for each of
// nq queries, the index (in ref) and distance of the closest of nr refs.
// skip_same: queries are refs q_index[i] of the same set; that one is skipped.
void eval_nearest(uint32_t *idx, double *dist, const uint8_t *q, size_t nq, const uint8_t *ref, size_t nr, size_t D,
                  const uint32_t *skip_same);

// Box-downsampling by f: (n, C, S, S) -> (n, C, S/f, S/f), rounded means.
void eval_downsample(uint8_t *out, const uint8_t *in, size_t n, int C, int S, int f);

// Mean L2 distance over `pairs` random pairs of distinct images of a set.
double eval_mean_pair_distance(const uint8_t *x, size_t n, size_t D, int pairs, uint64_t seed);

// The median of n values (0 for none).
double eval_median(const double *v, size_t n);

// A random permutation of 0 .. n-1 from `seed` (Fisher-Yates).
void eval_perm(uint32_t *p, uint32_t n, uint64_t seed);

// Images skip .. skip + n of a random order (perm of `seed`) of a set of
// `count` images of `img` bytes; returns how many there were.
size_t eval_take(uint8_t *dst, const uint8_t *pix, size_t count, size_t img, size_t skip, size_t n, uint64_t seed);

// Colour (RGB images): a pixel is coloured when its HSV saturation is at
// least 0.3 and its value at least 0.25 (not the white ground, not grey or
// black strokes); an image has a colour when at least 2% of its pixels are
// coloured, its hue then the saturation-weighted circular mean of theirs.
enum { EVAL_HUE_BINS = 12 };  // 30 degrees each, red first
typedef struct {
    size_t n, coloured;                // images, and those with a colour
    double hist[EVAL_HUE_BINS];        // their hues, as shares of the coloured images
    double entropy;                    // of hist, in bits (log2 12 = 3.58 for hues spread evenly)
    double colourfulness;              // mean over the images of Hasler and Suesstrunk's colourfulness M
} EvalColour;
void eval_colour(EvalColour *c, const uint8_t *pix, size_t n, int S);
// Total variation distance between two hue histograms (0 the same, 1 disjoint).
double eval_hue_distance(const EvalColour *a, const EvalColour *b);

// The SWD figures of `fakeit eval --seed seed`: reals ra, fakes, n images each.
void eval_swd(SwdResult *r, const uint8_t *ra, const uint8_t *fakes, int n, int C, int S, uint64_t seed);

#endif
