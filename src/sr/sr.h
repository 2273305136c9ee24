// sr.h: the super-resolution network and `fakeit upscale`.
//
// The network is SRVGGNetCompact of Real-ESRGAN (Wang et al. 2021), chosen
// for a CPU: a 3x3 conv to F features and PReLU, nconv x (3x3 conv F->F,
// PReLU), a 3x3 conv to 3 * scale^2 channels, pixel shuffle by `scale`, plus
// the input upsampled, so the body learns a residual. Real-ESRGAN upsamples
// the skip by nearest neighbour; fakeit by default uses bicubic (the
// baseline's own interpolation, ops.h), so the untrained network starts at
// bicubic quality and smooth regions pass through without the staircase the
// body would otherwise have to undo (which cost 3 dB on a smooth photo).
// Layer names follow the PyTorch module (body.0 conv, body.1 PReLU, ...).
// fakeit's default is F = 32, nconv = 8: 89,040 parameters at x4 (348 KB).
// Real-ESRGAN's size (F = 64, nconv = 16, 0.62 M), with the nearest skip, did
// not leave nearest-neighbour quality in 400 steps on 2 CPU cores, in fakeit
// or in PyTorch, while 32 x 8 passed bicubic within 400 steps at Adam 1e-3.
//
// Upscaling runs in overlapping tiles so that any image size fits in bounded
// memory: each tile's input is its core plus a margin of the network's
// receptive radius (nconv + 2 pixels, which also covers the bicubic skip's
// 2-pixel reach), clipped to the image; the network's
// own zero padding then sees exactly what it sees on the whole image, so the
// cores assemble to the untiled result (equal up to summation order).
#ifndef FAKEIT_SR_H
#define FAKEIT_SR_H

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

// Upscales rgb (h, w, 3) uint8 interleaved into out (h*s, w*s, 3) with the
// weights of `model` (any input size), tile x tile input pixels at a time
// (0: the whole image at once). Returns 0, -1 after printing.
int sr_upscale(const Net *model, const SrConfig *c, const uint8_t *rgb, int w, int h, int tile, uint8_t *out);
// The same on floats in [0, 1], planar (3, h, w) -> (3, h*s, w*s), unclamped;
// for tests of the tiling.
void sr_upscale_planar(const Net *model, const SrConfig *c, const float *in, int w, int h, int tile, float *out);

// An upscaler: a model, or bicubic interpolation (img_resize_bicubic, the baseline
// sr-eval measures against) when `model` is NULL.
typedef struct {
    Net *model;
    SrConfig cfg;      // cfg.scale is the factor either way
    const char *path;  // the model file, or "bicubic"
} Upscaler;

#define SR_DEFAULT_MODEL "bikes-x4.safetensors"

// The default model: $FAKEIT_SR_MODEL, else models/bikes-x4.safetensors
// beside the fakeit executable (a build tree), else
// ../share/fakeit/bikes-x4.safetensors from it (make install). NULL (after
// printing where it looked) when none exists.
const char *sr_default_model(void);

// spec: a model file, "bicubic" (then `scale`, 2 or 4), or NULL for the
// default model; scale > 0 with a model must match the model's. Returns 0,
// or -1 after printing.
int upscaler_open(Upscaler *u, const Backend *be, const char *spec, int scale);
void upscaler_close(Upscaler *u);
// rgb (h, w, 3) -> out (h*s, w*s, 3), as sr_upscale.
int upscaler_run(const Upscaler *u, const uint8_t *rgb, int w, int h, int tile, uint8_t *out);

// ---------------------------------------------------------------------------
// `fakeit upscale IN... -o OUT [--model M|bicubic] [--scale S] [--tile T]`

typedef struct {
    const char **inputs;  // files and folders (a folder's image files, sorted)
    int n_inputs;
    const char *out;      // a folder, or a .png file for a single input file
    const char *model;    // a model file, "bicubic", or NULL for the default model
    int scale;            // with bicubic: 2 or 4 (default 4); with a model: 0 or its scale
    const char *backend;
    int tile;             // input pixels per tile side (default 64; 0: whole images)
    int threads;
} UpscaleOpts;

// Returns 0 when every image was written, 1 when some input could not be read
// (the others are still written), 2 on bad options or model.
int upscale_run(const UpscaleOpts *o);

#endif
