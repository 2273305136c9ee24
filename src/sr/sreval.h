// sreval.h: `fakeit sr-eval`, PSNR and SSIM of a super-resolution model and of
// bicubic interpolation, measured by the same code.
//
// Convention (BasicSR / EDSR): on the Y channel (BT.601, Y = 16 + (65.481 R +
// 128.553 G + 24.966 B) / 255 for R, G, B in 0..255), after cropping `shave`
// (= scale) pixels from each border; SSIM with an 11x11 Gaussian window of
// sigma 1.5 over the valid region, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2.
// Each high-resolution image is cropped to a multiple of the scale, shrunk
// with the filter `fakeit prepare` and sr-train use (libvips Lanczos 3), then
// brought back by the model and by bicubic interpolation (img_resize_bicubic:
// Keys a = -0.5, pixel centres aligned).
#ifndef FAKEIT_SREVAL_H
#define FAKEIT_SREVAL_H

#include <stdint.h>

// a, b: (h, w, 3) uint8 interleaved RGB of the same size.
double sr_psnr_y(const uint8_t *a, const uint8_t *b, int w, int h, int shave);
double sr_ssim_y(const uint8_t *a, const uint8_t *b, int w, int h, int shave);

typedef struct {
    const char **inputs;  // high-resolution images: files and folders
    int n_inputs;
    const char *model;
    const char *compare;  // a folder for bicubic | model | original pictures (or NULL)
    const char *backend;
    const char *precision;  // NULL: fp32
    int threads;
    int json;
} SrEvalOpts;

int sreval_run(const SrEvalOpts *o);

#endif
