// upscale.h: super-resolution of whole images (tiled) and `fakeit upscale`.
//
// Upscaling runs in overlapping tiles so that any image size fits in bounded
// memory: each tile's input is its core plus a margin of the network's
// receptive radius (nconv + 2 pixels, which also covers the bicubic skip's
// 2-pixel reach), clipped to the image; the network's
// own zero padding then sees exactly what it sees on the whole image, so the
// cores assemble to the untiled result (equal up to summation order).
#ifndef FAKEIT_UPSCALE_H
#define FAKEIT_UPSCALE_H

#include <stdint.h>

#include "backend/backend.h"
#include "nn/srnet.h"

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
    const char *precision;  // NULL: fp32
    int tile;             // input pixels per tile side (default 64; 0: whole images)
    int threads;
    double max_pixels;     // refuse an image whose output would have more pixels (default 4e8; 0: no limit)
} UpscaleOpts;

void upscale_defaults(UpscaleOpts *o);
// Returns 0 when every image was written, 1 when some input could not be read
// (the others are still written), 2 on bad options or model.
int upscale_run(const UpscaleOpts *o);

#endif
