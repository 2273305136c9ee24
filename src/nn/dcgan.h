// dcgan.h: the DCGAN generator and critic of the original WGAN code
// (martinarjovsky/WassersteinGAN models/dcgan.py), with its layer names, so
// tensor names equal PyTorch's state_dict keys (e.g. "main.initial:3-64:conv.weight").
#ifndef FAKEIT_DCGAN_H
#define FAKEIT_DCGAN_H

#include "nn/net.h"
#include "util/rng.h"

typedef enum {
    DCGAN_NORM_BATCH,  // BatchNorm2d, the original
    DCGAN_NORM_LAYER,  // layer norm over (C, H, W) with per-channel affine (WGAN-GP critic)
    DCGAN_NORM_NONE,
} DcganNorm;

// Generator: z (N, nz, 1, 1) -> image (N, nc, isize, isize) in [-1, 1].
// norm is DCGAN_NORM_BATCH or DCGAN_NORM_NONE (the original --noBN).
Net *dcgan_generator(const Backend *be, int isize, int nz, int nc, int ngf, int n_extra, DcganNorm norm);

// Critic: image (N, nc, isize, isize) -> score (N, 1, 1, 1), one per sample;
// the original's mean over the batch is the loss's (wgan_loss).
Net *dcgan_critic(const Backend *be, int isize, int nc, int ndf, int n_extra, DcganNorm norm);

// DCGAN initialisation in layer order: conv and conv-transpose weights
// N(0, 0.02); batch-norm weight N(1, 0.02), bias 0. Other tensors keep their
// defaults. The same seed gives bit-identical weights.
void dcgan_init(Net *net, Rng *rng);

// 1 if isize is an image size the DCGAN pair supports (a power of two, >= 16:
// the original asks for a multiple of 16, but its pyramid never ends on 48).
int dcgan_size_ok(int isize);

#endif
