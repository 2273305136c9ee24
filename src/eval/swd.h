// swd.h: sliced Wasserstein distance between two image sets (Karras et al.
// 2018, progressive_growing_of_gans metrics/sliced_wasserstein.py), as
// ../shared/reference/METRICS-AND-SR.md describes it. No pretrained network.
//
//   - images: uint8 RGB (grey replicated to 3 channels), as floats 0..255;
//   - Laplacian pyramid: levels from the image size halving while >= 16;
//     5x5 binomial kernel [1 4 6 4 1]^T [1 4 6 4 1] / 256, mirror boundary
//     (d c b | a b c d | c b a); down = blur, keep every 2nd pixel; up = zero
//     insertion, blur with 4x the kernel; level k -= up(level k+1); the last
//     level is the low-pass image;
//   - descriptors: 128 random 7x7x3 patches per image and level, centres
//     x, y in [3, size - 3), 147 values in (channel, y, x) order; each colour
//     channel of each SET normalised to zero mean, unit std (ddof 0);
//   - distance: 4 repeats x 128 random unit directions in R^147; project
//     both sets, sort each projection, mean |sortA - sortB|, averaged over
//     repeats, x 1000. Per level, and the average over levels.
// The low-level functions take the random choices as arguments, so a test
// can feed them the choices of a NumPy transcription.
#ifndef FAKEIT_SWD_H
#define FAKEIT_SWD_H

#include <stddef.h>
#include <stdint.h>

#define SWD_NHOOD 7          // patch side
#define SWD_DESC 147         // 7 * 7 * 3
#define SWD_PER_IMAGE 128    // patches per image and level
#define SWD_REPEATS 4
#define SWD_DIRS 128         // directions per repeat
#define SWD_MAX_LEVELS 8

// Levels for images of side `size`: size, size/2, ... while >= 16.
int swd_levels(int size);

// Laplacian pyramid of n 3-channel images (n, 3, S, S): levels[k] is
// (n, 3, S >> k, S >> k), caller-allocated; levels[0] receives the bands of
// full resolution. img holds 0..255 values.
void swd_pyramid(float *const *levels, const float *img, int n, int S, int nlevels);

// Descriptors of one pyramid level (n, 3, S, S): patch p of image p / per_image
// centred at (xy[2p], xy[2p+1]) = (x, y). desc (n * per_image, 147).
void swd_descriptors(float *desc, const float *level, int n, int S, const int *xy, int per_image);

// Normalises each colour channel of a descriptor set (m, 147) in place.
void swd_normalize(float *desc, size_t m);

// The distance between two normalised sets A, B (m, 147) along
// dirs (repeats, 147, ndirs) (unit columns), x 1000.
double swd_distance(const float *A, const float *B, size_t m, const float *dirs, int repeats, int ndirs);

typedef struct {
    int nlevels;
    int size[SWD_MAX_LEVELS];    // side of each level
    double dist[SWD_MAX_LEVELS]; // x 1000
    double avg;
} SwdResult;

// SWD between two sets of n uint8 images (n, C, S, S), C = 1 or 3, with
// patch positions and directions drawn from `seed` (the same seed gives the
// same figure). Memory: about n * 128 * 147 * 8 bytes at a time.
void swd_images(SwdResult *r, const uint8_t *A, const uint8_t *B, int n, int C, int S, uint64_t seed);

#endif
