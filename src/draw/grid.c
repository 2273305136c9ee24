// grid.c: PNG grids of generated images.
#include "draw/grid.h"

#include <stdint.h>
#include <stdlib.h>

#include "image/imageio.h"
#include "util/util.h"

static uint8_t to_byte(float v) {
    float u = (v * 0.5f + 0.5f) * 255.0f + 0.5f;
    return (uint8_t)(u < 0.0f ? 0.0f : u > 255.0f ? 255.0f : u);
}

int grid_save(const char *path, const float *x, int N, int C, int H, int W, int nrow) {
    const int pad = 2, cols = N < nrow ? N : nrow, rows = (N + nrow - 1) / nrow;
    const int GW = cols * (W + pad) + pad, GH = rows * (H + pad) + pad, bands = C == 1 ? 1 : 3;
    uint8_t *g = fk_malloc((size_t)GW * GH * bands);
    for (size_t i = 0; i < (size_t)GW * GH * bands; i++) g[i] = 255;
    for (int n = 0; n < N; n++) {
        const int x0 = pad + (n % nrow) * (W + pad), y0 = pad + (n / nrow) * (H + pad);
        for (int c = 0; c < bands; c++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++)
                    g[((size_t)(y0 + y) * GW + x0 + xx) * bands + c] = to_byte(x[(((size_t)n * C + c) * H + y) * W + xx]);
    }
    int rc = img_write_png(path, g, GW, GH, bands);
    free(g);
    return rc;
}

int image_save(const char *path, const float *x, int C, int H, int W) {
    const int bands = C == 1 ? 1 : 3;
    uint8_t *g = fk_malloc((size_t)W * H * bands);
    for (int c = 0; c < bands; c++)
        for (int i = 0; i < H * W; i++) g[(size_t)i * bands + c] = to_byte(x[(size_t)c * H * W + i]);
    int rc = img_write_png(path, g, W, H, bands);
    free(g);
    return rc;
}
