// generator.h: a trained generator at work, for every command that draws
// fakes (sample, interp, eval, and train's quality measurements): loading it
// from a model file or a run folder, making fakes, fakes as bytes.
//
// Fakes are always made in full batches of the training batch size with the
// generator's batch norm in training mode, exactly as the original samples:
// image i depends only on the seed and i, so `-n 1` gives the same picture
// (and quality) as the first of `-n 64`.
#ifndef FAKEIT_GENERATOR_H
#define FAKEIT_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "gan/wgan.h"
#include "nn/net.h"

// 1 when `path` is a run folder (a folder holding netG.safetensors).
int gen_is_run(const char *path);
// The model file `path` names: itself, or for a run folder RUN/netG.safetensors
// (critic: RUN/netD.safetensors). Written into buf (n bytes), returned.
const char *gen_model_path(const char *path, int critic, char *buf, size_t n);

// The generator (critic = 0) or critic (1) of a model file or run folder,
// built from the configuration stored in the file, activations set for its
// training batch; NULL after printing what is wrong.
// The critic that goes with a generator file (malloc'd): NAME-critic.safetensors
// beside NAME.safetensors (a shipped pair, models/bikes-64*), else
// netD.safetensors beside it (a run's pair).
char *gen_critic_beside(const char *generator_file);
Net *gen_load(const Backend *be, const char *path, int critic, WganConfig *cfg);

// n fakes (n, C, S, S) in [-1, 1] into host memory, made in full batches from
// noise of `seed`; with a critic D, also its score of each (scores (n)).
// Under mpirun (dist/dist.h) each process makes every N-th batch and all get
// every fake: a collective call.
void gen_fakes(const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed, float *fakes, Net *D,
               float *scores);
// The noise gen_fakes feeds for n fakes: whole batches, gen_noise_rows(cfg, n)
// rows of nz values (the generator's input (rows, nz, 1, 1)).
static inline int gen_noise_rows(const WganConfig *cfg, int n) { return (n + cfg->batch - 1) / cfg->batch * cfg->batch; }
void gen_noise(const WganConfig *cfg, int n, uint64_t seed, float *z);
// The same n fakes as bytes, as data sets hold images.
void gen_fakes_bytes(uint8_t *dst, const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed);
// [-1, 1] floats -> bytes as the data sets hold them: round(v * 127.5 + 127.5), clamped.
void gen_to_bytes(uint8_t *dst, const float *src, size_t n);

#endif
