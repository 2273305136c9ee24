// srtrain.h: `fakeit sr-train`, training the super-resolution network (nn/srnet.h)
// on high-resolution images.
//
// Each step takes `batch` random crops of (patch * scale)^2 pixels from the
// images (random horizontal flips), makes each low-resolution side with the
// same filter `fakeit prepare` shrinks with (libvips Lanczos 3), then applies
// conditioning augmentation so that generated inputs are in distribution
// (Ho et al. 2021): with probability 1/2 a Gaussian blur of sigma ~ U(0, blur)
// LR pixels, with probability 1/2 Gaussian noise of std ~ U(0, noise) / 255.
// Loss: L1 between the network's output and the crop, plus with
// adversarial > 0 that weight times the mean score of fakeit's WGAN-GP critic
// (trained one step per step on the crops against the outputs); Adam
// (0.9, 0.99) with a cosine decay of the rate to 0 at `iters`.
// The model file is written every save_every steps and at the end (atomic),
// with the run's state beside it (MODEL.state.safetensors: parameters, Adam
// moments, step, random generator), so --resume continues bit for bit.
#ifndef FAKEIT_SRTRAIN_H
#define FAKEIT_SRTRAIN_H

#include <stdint.h>

#include "nn/srnet.h"

typedef struct {
    const char **inputs;  // folders, image files or DATA.fkd files
    int n_inputs;
    const char *out;      // the model file to write
    SrConfig cfg;
    int patch, batch;     // LR patch side (32) and crops per step (16)
    long iters;           // steps to reach (default 5000); the rate's cosine ends there
    int iters_given;      // with resume: iters was given (else the stored run's)
    long stop_after;      // save and stop after this many steps of this invocation (0: none)
    double lr;            // 1e-3, cosine to 0 at iters
    double adversarial;   // weight of the WGAN-GP critic's term (0: L1 alone)
    double blur, noise;   // augmentation: max blur sigma (LR pixels, 1.0), max noise std (0-255 scale, 5)
    int save_every;       // 500
    double time_limit;    // seconds (0: none)
    int resume;
    uint64_t seed;
    int threads;
    const char *backend;
    const char *precision;  // NULL: fp32
    double first_loss, last_loss;  // out: mean L1 of the first and last 10 steps of this invocation
} SrTrainOpts;

void srtrain_defaults(SrTrainOpts *o);

// The learning rate at a step: a cosine from o->lr at step 0 down to 0 at
// o->iters (a function of the step alone, so a resumed run follows it).
double srtrain_rate(const SrTrainOpts *o, long step);

// 0 when done, 1 or 2 on errors (after printing), 130 / 143 on a signal (after saving).
int srtrain_run(SrTrainOpts *o);

#endif
