// sample.h: drawing fakes from a trained generator (`fakeit sample`) and
// walks through its latent space (`fakeit interp`).
//
// Fakes are always made in full batches of the training batch size with the
// generator's batch norm in training mode, exactly as the original samples:
// image i depends only on the seed and i, so `-n 1` gives the same picture
// (and quality) as the first of `-n 64`.
#ifndef FAKEIT_SAMPLE_H
#define FAKEIT_SAMPLE_H

#include <stdint.h>

#include "gan/wgan.h"

typedef struct {
    const char *model;    // netG.safetensors
    const char *out_dir;  // individual PNGs (or NULL)
    const char *grid;     // one grid PNG (or NULL)
    const char *critic;   // netD.safetensors for ranking (default: beside the model)
    const char *backend;
    int n;                // fakes to make
    int rank_k;           // 0, or keep the K the critic rates most real
    const char *upscale;  // a super-resolution model: write the fakes upscaled (or NULL)
    uint64_t seed;
    int threads;
} SampleOpts;

int sample_run(const SampleOpts *o);

// n fakes (n, C, S, S) in [-1, 1] into host memory, made in full batches from
// noise of `seed`; with a critic D, also its score of each (scores (n)).
void sample_make(const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed, float *fakes, Net *D,
                 float *scores);
// The generator of a model file with its configuration; NULL after printing.
Net *sample_load_generator(const Backend *be, const char *path, WganConfig *cfg);

typedef struct {
    const char *model, *out, *backend;
    int rows, steps;
    uint64_t seed;
    int threads;
} InterpOpts;

int interp_run(const InterpOpts *o);

// Spherical interpolation between a and b (n values) at t in [0, 1].
void slerp(float *out, const float *a, const float *b, int n, double t);

#endif
