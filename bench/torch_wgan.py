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

On a GPU (--device cuda) the data set is uploaded once and batches are
gathered there (as fakeit's cuda backend does), times wait for the device,
and the line adds it_per_s and peak_device_mb (torch.cuda.max_memory_allocated).
--tf32 lets cuDNN and cuBLAS use TF32 (PyTorch's default for cuDNN
convolutions); without it both are held to fp32, as fakeit's default.
--compile wraps both networks in torch.compile(mode="reduce-overhead")
(CUDA graphs on a GPU); its first iterations compile and are not timed.

usage: bench/torch_wgan.py DATA.fkd [--iters N] [--batch B] [--width W] [--threads T] [--sample-reps R]
                           [--device cpu|cuda] [--tf32] [--compile] [--warmup N]
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


def reference_iteration(G, D, optG, optD, pix, order, i, batch, noise, gen_iter, one, mone):
    """One generator iteration of main.py's loop from batch i of the shuffled pass `order`: 100 critic
    steps for the first 25 generator iterations and every 500th, else 5, each on a new real batch,
    clipped to [-0.01, 0.01] before it (the pass's end cuts them short), then the generator step.
    Returns the next batch index."""
    batches = (len(order) + batch - 1) // batch
    for p in D.parameters():
        p.requires_grad = True
    diters = 100 if gen_iter < 25 or gen_iter % 500 == 0 else 5
    j = 0
    while j < diters and i < batches:
        j += 1
        for p in D.parameters():
            p.data.clamp_(-0.01, 0.01)
        idx = order[i * batch:(i + 1) * batch]
        i += 1
        real = (torch.from_numpy(pix[idx].astype(np.float32)) / 255 - 0.5) / 0.5
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
    return i


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
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--tf32', action='store_true')
    ap.add_argument('--compile', action='store_true')
    ap.add_argument('--warmup', type=int, default=1, help='untimed iterations first (compiling, autotuning)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dev = torch.device(a.device)
    gpu = dev.type == 'cuda'
    if gpu:
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.benchmark = True
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    pix = load_fkd(a.data)
    count, nc, size, _ = pix.shape
    G, D, optG, optD = reference_pair(size, a.nz, nc, a.width)
    G, D = G.to(dev), D.to(dev)
    optG = torch.optim.RMSprop(G.parameters(), lr=5e-5)
    optD = torch.optim.RMSprop(D.parameters(), lr=5e-5)
    Gr, Dr = G, D  # the modules the loop calls
    if a.compile:
        Gr, Dr = torch.compile(G, mode='reduce-overhead'), torch.compile(D, mode='reduce-overhead')
    mark = torch.compiler.cudagraph_mark_step_begin if a.compile and gpu else (lambda: None)
    one, mone = torch.tensor([1.0], device=dev), torch.tensor([-1.0], device=dev)
    noise = torch.empty(a.batch, a.nz, 1, 1, device=dev)
    data = torch.from_numpy(np.asarray(pix)).to(dev) if gpu else None  # uint8, uploaded once
    pos = 0
    times = []
    for it in range(a.iters + a.warmup):  # the first `warmup` iterations are not timed
        sync()
        t0 = time.perf_counter()
        for p in D.parameters():
            p.requires_grad = True
        for _ in range(a.d_iters):
            idx = np.arange(pos, pos + a.batch) % count  # round the data set, as bench_speed does
            pos += a.batch
            if gpu:
                real = (data[torch.from_numpy(idx).to(dev, non_blocking=True)].float() / 255 - 0.5) / 0.5
            else:
                real = (torch.from_numpy(np.asarray(pix[idx], dtype=np.float32)) / 255 - 0.5) / 0.5
            for p in D.parameters():
                p.data.clamp_(-0.01, 0.01)
            D.zero_grad()
            mark()
            Dr(real).backward(one)
            noise.normal_(0, 1)
            with torch.no_grad():
                mark()
                fake = Gr(noise)
                if a.compile:  # a graph's output is overwritten by its next replay
                    fake = fake.clone()
            mark()
            Dr(fake).backward(mone)
            optD.step()
        for p in D.parameters():
            p.requires_grad = False
        G.zero_grad()
        noise.normal_(0, 1)
        mark()
        Dr(Gr(noise)).backward(one)
        optG.step()
        sync()
        if it >= a.warmup:
            times.append(time.perf_counter() - t0)
    sec = float(np.mean(times))
    z = torch.randn(64, a.nz, 1, 1, device=dev)
    with torch.no_grad():
        for _ in range(3):  # warm-up (and, compiled, the shapes of batch 64)
            mark()
            Gr(z)
        sync()
        t0 = time.perf_counter()
        for _ in range(a.sample_reps):
            mark()
            Gr(z)
        sync()
        rate = 64 * a.sample_reps / (time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = (f'pytorch torch={torch.__version__} device={a.device} mode={"compile" if a.compile else "eager"} '
            f'precision={"tf32" if a.tf32 else "fp32"} size={size} batch={a.batch} '
            f'width={a.width} threads={a.threads} sec_per_iter={sec:.4f} it_per_s={1 / sec:.2f} '
            f'real_img_per_s={a.d_iters * a.batch / sec:.1f} sample_img_per_s={rate:.1f} peak_rss_mb={rss:.0f}')
    if gpu:
        line += f' peak_device_mb={torch.cuda.max_memory_allocated() / 1048576:.0f}'
    print(line)


if __name__ == '__main__':
    main()
