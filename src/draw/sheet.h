// sheet.h: contact sheets, grids of small images with captions (cairo), so a
// user can check at a glance what `fakeit prepare` kept and rejected.
#ifndef FAKEIT_SHEET_H
#define FAKEIT_SHEET_H

#include <stdint.h>

typedef struct {
    int size, channels;  // every tile: (channels, size, size) planar uint8
    int n, cap;
    uint8_t *pix;        // cap tiles
    char **captions;     // cap strings or NULL
} Sheet;

void sheet_init(Sheet *s, int size, int channels, int cap);
// Adds a tile (NULL pixels: a grey placeholder, for files that never decoded);
// ignored once the sheet is full.
void sheet_add(Sheet *s, const uint8_t *pixels, const char *caption);
// Draws the grid under a title line and writes it as PNG; -1 after printing
// the problem.
int sheet_write(const Sheet *s, const char *path, const char *title);
void sheet_free(Sheet *s);

#endif
