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
// The measurements themselves are in measure.h.
#ifndef FAKEIT_EVALUATE_H
#define FAKEIT_EVALUATE_H

#include <stdint.h>

typedef struct {
    int swd_only;         // skip copy detection and diversity
    const char *real;     // DATA.fkd
    const char *fake;     // a model (netG.safetensors or a run folder), a folder of images or DATA.fkd
    const char *train;    // DATA.fkd for copy detection (default: real)
    const char *sheet;    // nearest.png (default: out_dir/nearest.png)
    const char *out_dir;  // where eval.json and nearest.png go (NULL: the run folder for a run, else .)
    const char *backend;  // for generating from a model
    const char *precision;  // NULL: fp32
    int n;                // images per set (default 2000)
    int json;             // one JSON object with every figure on the last line
    int threads;
    uint64_t seed;
} EvalOpts;

void eval_defaults(EvalOpts *o);
// 0 after reporting, 2 on bad inputs, 1 when the sheet or eval.json cannot be written.
int eval_run(const EvalOpts *o);

#endif
