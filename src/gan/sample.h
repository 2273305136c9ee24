// sample.h: `fakeit sample`, fakes from a trained generator (optionally
// ranked by the run's critic and upscaled), and `fakeit interp`, walks
// through its latent space. How fakes are made: gan/generator.h.
#ifndef FAKEIT_SAMPLE_H
#define FAKEIT_SAMPLE_H

#include <stdint.h>

typedef struct {
    const char *model;    // netG.safetensors or a run folder
    const char *out_dir;  // individual PNGs (or NULL)
    const char *grid;     // one grid PNG (or NULL)
    const char *critic;   // netD.safetensors for ranking (default: beside the model)
    const char *backend;
    const char *precision;  // NULL: fp32
    int n;                // fakes to make
    int rank_k;           // 0, or keep the K the critic rates most real
    const char *upscale;  // a super-resolution model or "bicubic": write the fakes upscaled (or NULL)
    const char *tensors;  // also write the noise and the fakes as floats to this safetensors file (or NULL)
    uint64_t seed;
    int threads;
} SampleOpts;

void sample_defaults(SampleOpts *o);
// 0 when every file was written, 1 or 2 after printing what went wrong.
int sample_run(const SampleOpts *o);

typedef struct {
    const char *model, *out, *backend;
    const char *precision;  // NULL: fp32
    int rows, steps;
    uint64_t seed;
    int threads;
} InterpOpts;

void interp_defaults(InterpOpts *o);
int interp_run(const InterpOpts *o);

// Spherical interpolation between a and b (n values) at t in [0, 1].
void slerp(float *out, const float *a, const float *b, int n, double t);

#endif
