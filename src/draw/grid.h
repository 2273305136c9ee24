// grid.h: image grids, as torchvision's save_image lays them out.
#ifndef FAKEIT_GRID_H
#define FAKEIT_GRID_H

// Writes images x (N, C, H, W) in [-1, 1] (host floats, C = 1 or 3) as one
// PNG: nrow images per row, 2 pixels of white between them. Values map to
// bytes as round(clamp((v + 1) / 2, 0, 1) * 255). Returns -1 after printing.
int grid_save(const char *path, const float *x, int N, int C, int H, int W, int nrow);

// One image (C, H, W) in [-1, 1] as PNG.
int image_save(const char *path, const float *x, int C, int H, int W);

#endif
