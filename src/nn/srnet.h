// srnet.h: the super-resolution network and its model files.
//
// The network is SRVGGNetCompact of Real-ESRGAN (Wang et al. 2021), chosen
// for a CPU: a 3x3 conv to F features and PReLU, nconv x (3x3 conv F->F,
// PReLU), a 3x3 conv to 3 * scale^2 channels, pixel shuffle by `scale`, plus
// the input upsampled, so the body learns a residual. Real-ESRGAN upsamples
// the skip by nearest neighbour; fakeit by default uses bicubic (the
// baseline's own interpolation, ops/ops.h), so the untrained network starts at
// bicubic quality and smooth regions pass through without the staircase the
// body would otherwise have to undo (which cost 3 dB on a smooth photo).
// Layer names follow the PyTorch module (body.0 conv, body.1 PReLU, ...).
// fakeit's default is F = 32, nconv = 8: 89,040 parameters at x4 (348 KB).
// Real-ESRGAN's size (F = 64, nconv = 16, 0.62 M), with the nearest skip, did
// not leave nearest-neighbour quality in 400 steps on 2 CPU cores, in fakeit
// or in PyTorch, while 32 x 8 passed bicubic within 400 steps at Adam 1e-3.
#ifndef FAKEIT_SRNET_H
#define FAKEIT_SRNET_H

#include <stdint.h>

#include "backend/backend.h"
#include "nn/net.h"
#include "util/rng.h"

typedef struct {
    int scale;  // 2 or 4
    int feats;  // F, 32
    int nconv;  // body convolutions, 8
    UpsampleMode skip;  // how the input is enlarged for the skip: bicubic (nearest in older model files)
} SrConfig;

void sr_defaults(SrConfig *c);
// "nearest" / "bicubic", and back (-1 for anything else).
const char *sr_skip_name(UpsampleMode m);
int sr_skip_parse(const char *name, UpsampleMode *m);
// The "skip" of a model file's or run state's metadata: NULL (absent, a file
// written before it existed) means nearest; otherwise as sr_skip_parse.
int sr_skip_meta(const char *value, UpsampleMode *m);

// The network for inputs of H x W (3 channels).
Net *sr_net(const Backend *be, const SrConfig *c, int H, int W);
// He-normal initialisation for PReLU (slope 0.25) of every conv, the last one
// 10x smaller, biases 0; PReLU slopes stay 0.25.
void sr_init(Net *net, Rng *rng);
// Receptive radius in input pixels.
static inline int sr_radius(const SrConfig *c) { return c->nconv + 2; }

// Model files: the parameters under PyTorch's names, the configuration in
// the metadata ("format": "fakeit-sr 1", "scale", "feats", "nconv", "skip";
// files without "skip" predate it and mean nearest). Load returns NULL after
// printing.
int sr_save(const char *path, const Net *net, const SrConfig *c);
Net *sr_load(const Backend *be, const char *path, SrConfig *c, int H, int W);

#endif
