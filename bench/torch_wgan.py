#!/usr/bin/python3
"""The reference WGAN training loop (martinarjovsky/WassersteinGAN main.py) in
PyTorch, timed, for side-by-side figures with `fakeit train`.

It trains the same DCGAN_G / DCGAN_D (tests/oracle.py holds the transcription)
on the same .fkd data set with the same hyperparameters, RMSprop and
clipping, and prints seconds per generator iteration with `--d-iters`
critic steps in every iteration (no early 100-step iterations, so the figure
is the steady-state cost; real batches run round the data set without
cutting an iteration short), real images per second, sampling images per
second (generator forward, batch 64, batch norm in training mode as the
original's generation) and this process's peak resident memory.
Run with Debian's Python: /usr/bin/python3.

usage: bench/torch_wgan.py DATA.fkd [--iters N] [--batch B] [--width W] [--threads T] [--sample-reps R]
"""
import argparse
import os
import resource
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from oracle import DCGAN_D, DCGAN_G, weights_init  # noqa: E402


def load_fkd(path):
    with open(path, 'rb') as f:
        head = f.read(40)
    assert head[:8] == b'FAKEITDS', f'{path}: not a fakeit data set'
    _, count, size, channels, pix_off, _ = struct.unpack('<IIIIQQ', head[8:40])
    pix = np.memmap(path, dtype=np.uint8, mode='r', offset=pix_off, shape=(count, channels, size, size))
    return pix


def reference_pair(size, nz, nc, width):
    """DCGAN_G and DCGAN_D with DCGAN initialisation, RMSprop 5e-5 each (main.py's defaults)."""
    G, D = DCGAN_G(size, nz, nc, width, 0), DCGAN_D(size, nz, nc, width, 0)
    G.apply(weights_init)
    D.apply(weights_init)
    return G, D, torch.optim.RMSprop(G.parameters(), lr=5e-5), torch.optim.RMSprop(D.parameters(), lr=5e-5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--iters', type=int, default=3)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--width', type=int, default=64)
    ap.add_argument('--nz', type=int, default=100)
    ap.add_argument('--d-iters', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--sample-reps', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    pix = load_fkd(a.data)
    count, nc, size, _ = pix.shape
    G, D, optG, optD = reference_pair(size, a.nz, nc, a.width)
    one, mone = torch.FloatTensor([1]), torch.FloatTensor([-1])
    noise = torch.FloatTensor(a.batch, a.nz, 1, 1)
    pos = 0
    times = []
    for it in range(a.iters + 1):  # the first iteration is a warm-up, not timed
        t0 = time.perf_counter()
        for p in D.parameters():
            p.requires_grad = True
        for _ in range(a.d_iters):
            idx = np.arange(pos, pos + a.batch) % count  # round the data set, as bench_speed does
            pos += a.batch
            real = (torch.from_numpy(np.asarray(pix[idx], dtype=np.float32)) / 255 - 0.5) / 0.5
            for p in D.parameters():
                p.data.clamp_(-0.01, 0.01)
            D.zero_grad()
            D(real).backward(one)
            noise.normal_(0, 1)
            with torch.no_grad():
                fake = G(noise)
            D(fake).backward(mone)
            optD.step()
        for p in D.parameters():
            p.requires_grad = False
        G.zero_grad()
        noise.normal_(0, 1)
        D(G(noise)).backward(one)
        optG.step()
        if it > 0:
            times.append(time.perf_counter() - t0)
    sec = float(np.mean(times))
    z = torch.randn(64, a.nz, 1, 1)
    with torch.no_grad():
        G(z)  # warm-up
        t0 = time.perf_counter()
        for _ in range(a.sample_reps):
            G(z)
        rate = 64 * a.sample_reps / (time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'pytorch torch={torch.__version__} size={size} batch={a.batch} width={a.width} threads={a.threads} '
          f'sec_per_iter={sec:.3f} real_img_per_s={a.d_iters * a.batch / sec:.1f} sample_img_per_s={rate:.1f} '
          f'peak_rss_mb={rss:.0f}')


if __name__ == '__main__':
    main()
