// augment.h: the trainer's side of differentiable augmentation (DiffAugment,
// Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
// Training"): which policies a run uses and the random parameter rows that
// the backend's augment op (ops/ops.h) applies, drawn as the authors' code
// draws them.
#ifndef FAKEIT_AUGMENT_H
#define FAKEIT_AUGMENT_H

#include <stddef.h>

#include "util/rng.h"

// Policy bits (WganConfig.augment).
enum { AUGMENT_COLOR = 1, AUGMENT_TRANSLATION = 2, AUGMENT_CUTOUT = 4, AUGMENT_ALL = 7 };

// "translation,cutout,color" (any subset, any order) or "none" -> bits;
// -1 for a name it does not know.
int augment_parse(const char *s, unsigned *policy);
// The policy as the option spells it ("none" for 0).
void augment_format(unsigned policy, char *buf, size_t n);

// n rows of AUG_PARAMS for H x W images from r: for each sample, colour
// (brightness U[-0.5, 0.5), saturation U[0, 2), contrast U[0.5, 1.5)), then
// translation (an integer shift in [-W/8, W/8] on each axis, rounded), then
// cutout (a square of half the side, centred anywhere in the image), each
// only when its bit is set (the identity otherwise, drawing nothing).
void augment_draw(Rng *r, unsigned policy, float *params, int n, int H, int W);

#endif
