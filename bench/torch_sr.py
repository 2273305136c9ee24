#!/usr/bin/python3
"""fakeit's super-resolution network in PyTorch, timed, for side-by-side
figures with build/bench_sr_speed (bench/sr_speed.c): the same
SRVGGNetCompact (Real-ESRGAN's, as fakeit builds it: a 3x3 conv to 32
features and PReLU, 8 x (3x3 conv 32->32, PReLU), a 3x3 conv to 3*4*4,
pixel shuffle x4, plus the input upsampled bicubically), the same training
step (batch of random crops uploaded, forward, L1, backward, Adam 1e-3
(0.9, 0.99)) and the same upscaling (forwards of one tile of --tile input
pixels with margins of nconv + 2 pixels, counted as the tile's x4 square of
output). PyTorch's bicubic uses a = -0.75 where fakeit's uses -0.5: the same
work. Run with Debian's Python: /usr/bin/python3.

Prints one line:
  pytorch-sr torch=V batch=N patch=S threads=T sec_per_step=X steps_per_s=R
  upscale_mpx_per_s=U peak_rss_mb=M

usage: bench/torch_sr.py [--batch N] [--patch S] [--threads T] [--iters I] [--tile P] [--reps R]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SRNet(nn.Module):
    def __init__(self, feats=32, nconv=8, scale=4):
        super().__init__()
        layers = [nn.Conv2d(3, feats, 3, 1, 1), nn.PReLU(feats)]
        for _ in range(nconv):
            layers += [nn.Conv2d(feats, feats, 3, 1, 1), nn.PReLU(feats)]
        layers += [nn.Conv2d(feats, 3 * scale * scale, 3, 1, 1)]
        self.body = nn.Sequential(*layers)
        self.upsampler = nn.PixelShuffle(scale)
        self.scale = scale

    def forward(self, x):
        skip = F.interpolate(x, scale_factor=self.scale, mode='bicubic', align_corners=False)
        return self.upsampler(self.body(x)) + skip


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--patch', type=int, default=32)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--tile', type=int, default=64)
    p.add_argument('--reps', type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    scale, nconv = 4, 8
    net = SRNet(nconv=nconv, scale=scale)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
    lr_h = torch.rand(a.batch, 3, a.patch, a.patch)
    hr_h = torch.rand(a.batch, 3, a.patch * scale, a.patch * scale)
    t_train = 0.0
    for it in range(a.iters + 1):
        t0 = time.perf_counter()
        lr, hr = lr_h.clone(), hr_h.clone()  # the upload
        opt.zero_grad(set_to_none=False)
        loss = F.l1_loss(net(lr), hr)
        loss.backward()
        opt.step()
        loss.item()
        if it > 0:
            t_train += time.perf_counter() - t0
    sec = t_train / a.iters

    m = nconv + 2
    tile = torch.rand(1, 3, a.tile + 2 * m, a.tile + 2 * m)
    with torch.no_grad():
        net(tile)  # warm-up
        t0 = time.perf_counter()
        for _ in range(a.reps):
            net(tile)
        mpx = a.reps * (a.tile * scale) ** 2 / 1e6 / (time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'pytorch-sr torch={torch.__version__} batch={a.batch} patch={a.patch} threads={a.threads} '
          f'sec_per_step={sec:.4f} steps_per_s={1 / sec:.2f} upscale_mpx_per_s={mpx:.2f} peak_rss_mb={rss:.0f}')


if __name__ == '__main__':
    main()
