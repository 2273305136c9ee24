#!/usr/bin/python3
"""The seed's recipe in PyTorch, trained for a wall-clock budget: the anchor
that fakeit's 64x64 bikes are compared with (docs/bikes/results.md).

The reference WGAN training loop of martinarjovsky/WassersteinGAN main.py, as
the seed ran it (fast.ai's copy of that code): DCGAN_G / DCGAN_D (the
transcription in tests/oracle.py) with DCGAN initialisation, RMSprop,
critic weights clipped to [-0.01, 0.01] before every critic step, 100 critic
steps for the first 25 generator iterations and every 500th, else 5, a new
real batch for every critic step from a shuffled pass over the data (an
epoch's end cuts the critic steps short, as there), and the seed's cure for
mode collapse: a generator learning rate above the critic's (--lr-g).

It trains until --minutes of wall-clock time have passed (checked after every
generator iteration), then draws --count fakes in batches of 64 with batch
statistics (as the original's generation and `fakeit sample`), writes them as
a fakeit data set (.fkd) that `fakeit eval --fake` measures, and prints one
line: iterations, seconds, and the path. Run with Debian's Python:

  /usr/bin/python3 bench/torch_seed.py train.fkd --minutes 8 --lr-g 1e-4 -o seed.fkd
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_wgan import load_fkd, reference_iteration, reference_pair  # noqa: E402


def write_fkd(path, images):
    """images (count, C, S, S) uint8 -> a fakeit data set (dataset.h's layout)."""
    count, channels, size, _ = images.shape
    names = b''.join(b'torch-seed#%d\0' % i for i in range(count))
    off = (40 + len(names) + 63) // 64 * 64
    with open(path + '.tmp', 'wb') as f:
        f.write(b'FAKEITDS' + struct.pack('<IIIIQQ', 1, count, size, channels, off, len(names)))
        f.write(names)
        f.write(b'\0' * (off - 40 - len(names)))
        f.write(np.ascontiguousarray(images).tobytes())
    os.replace(path + '.tmp', path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('-o', '--output', required=True, help='the fakes as a .fkd data set')
    ap.add_argument('--minutes', type=float, required=True)
    ap.add_argument('--lr-d', type=float, default=5e-5)
    ap.add_argument('--lr-g', type=float, default=5e-5)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--width', type=int, default=64)
    ap.add_argument('--nz', type=int, default=100)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    pix = np.asarray(load_fkd(a.data))
    count, nc, size, _ = pix.shape
    G, D, _, _ = reference_pair(size, a.nz, nc, a.width)
    optG = torch.optim.RMSprop(G.parameters(), lr=a.lr_g)
    optD = torch.optim.RMSprop(D.parameters(), lr=a.lr_d)
    one, mone = torch.tensor([1.0]), torch.tensor([-1.0])
    noise = torch.empty(a.batch, a.nz, 1, 1)
    start = time.perf_counter()
    gen_iter, epochs = 0, 0
    while time.perf_counter() - start < a.minutes * 60:
        order = rng.permutation(count)  # one shuffled pass (DataLoader(shuffle=True), last batch kept)
        epochs += 1
        i = 0
        while i * a.batch < count and time.perf_counter() - start < a.minutes * 60:
            i = reference_iteration(G, D, optG, optD, pix, order, i, a.batch, noise, gen_iter, one, mone)
            gen_iter += 1
    seconds = time.perf_counter() - start
    out = []
    with torch.no_grad():
        for b in range(0, a.count, 64):
            z = torch.randn(64, a.nz, 1, 1)
            x = G(z)[:min(64, a.count - b)]
            out.append(np.clip(np.round((x.numpy() * 0.5 + 0.5) * 255), 0, 255).astype(np.uint8))
    write_fkd(a.output, np.concatenate(out))
    print(f'torch-seed torch={torch.__version__} size={size} width={a.width} batch={a.batch} lr_g={a.lr_g:g} '
          f'lr_d={a.lr_d:g} threads={a.threads} gen_iters={gen_iter} epochs={epochs} seconds={seconds:.1f} '
          f'fakes={a.output}')


if __name__ == '__main__':
    main()
