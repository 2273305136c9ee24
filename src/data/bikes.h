// bikes.h: the built-in data set, side views of road bikes drawn with cairo.
//
// Every image is a road bike seen from its drive side (handlebars to the
// right, so the chainset shows): two spoked wheels with tyres and rims, a
// diamond frame (top, down and seat tubes, chain and seat stays), fork, drop
// handlebars, saddle, chainring, chain and crank. Frame geometry, wheel size,
// rim depth, colours, line widths, position and scale vary. About a quarter
// of the images are distractors that `fakeit prepare` must reject: the bike
// on a coloured, gradient or textured background.
#ifndef FAKEIT_BIKES_H
#define FAKEIT_BIKES_H

#include <stdint.h>

typedef enum { BG_WHITE, BG_COLOUR, BG_GRADIENT, BG_TEXTURE } BikeBackground;

extern const char *const bike_background_names[4];

// Draws image `index` of the set made with `seed` into rgb (size, size, 3)
// interleaved; the same (seed, index) always gives the same picture.
// Returns its background kind.
BikeBackground bike_render(uint64_t seed, int index, int size, uint8_t *rgb);

// Writes n PNG files bike_00000.png ... into dir (created if missing) and
// bikes.csv (file,background) beside them; returns 0, or -1 after printing
// the problem.
int bikes_write(const char *dir, int n, int size, uint64_t seed);

#endif
