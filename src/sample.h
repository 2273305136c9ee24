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

typedef struct {
    const char *model;    // netG.safetensors
    const char *out_dir;  // individual PNGs (or NULL)
    const char *grid;     // one grid PNG (or NULL)
    const char *critic;   // netD.safetensors for ranking (default: beside the model)
    const char *backend;
    int n;                // fakes to make
    int rank_k;           // 0, or keep the K the critic rates most real
    uint64_t seed;
    int threads;
} SampleOpts;

int sample_run(const SampleOpts *o);

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
