#!/usr/bin/python3
"""The PyTorch reference run of the Fashion-MNIST benchmark (bench/fmnist.sh).

Trains the reference WGAN exactly as martinarjovsky/WassersteinGAN main.py
does (DCGAN_G / DCGAN_D from tests/oracle.py, RMSprop 5e-5, clipping 0.01,
100 critic steps for the first 25 generator iterations and every 500th, else
5, a new shuffled pass over the data each epoch, an epoch's end cutting the
critic steps short) on a fakeit data set, for a given number of generator
iterations. Every `--every` iterations and at the end it saves the generator
as a fakeit model file (the state_dict under PyTorch's names plus fakeit's
configuration metadata), so `fakeit eval` measures it with the same code and
noise as fakeit's own runs. Saving is not counted in the timing.

Writes OUT/metrics.csv (gen_iter,seconds) and OUT/netG_NNNNNN.safetensors.
Run with Debian's Python: /usr/bin/python3.

usage: bench/torch_fmnist.py DATA.fkd OUT --iters N [--every K] [--width W] [--threads T] [--seed S]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
sys.path.insert(0, HERE)
from oracle import write_safetensors  # noqa: E402
from torch_wgan import load_fkd, reference_iteration, reference_pair  # noqa: E402


def save_generator(G, path, size, nc, nz, width, batch, seed):
    cfg = dict(isize=size, nc=nc, nz=nz, ngf=width, ndf=width, n_extra=0, bn_g=1, batch=batch, adam=0,
               lr_g=5e-05, lr_d=5e-05, beta1=0.5, beta2=0.999, clip=0.01, d_iters=5, d_iters_warm=100,
               warm_iters=25, warm_every=500, loss=0, critic_norm=0, gp_lambda=10, seed=seed)
    meta = {'format': 'fakeit 1', 'role': 'generator', 'trained_by': f'pytorch {torch.__version__}'}
    meta.update({k: repr(v) if isinstance(v, float) else str(v) for k, v in cfg.items()})
    write_safetensors(path, {k: v.detach().clone().contiguous() for k, v in G.state_dict().items()}, meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('out')
    ap.add_argument('--iters', type=int, required=True)
    ap.add_argument('--every', type=int, default=100)
    ap.add_argument('--width', type=int, default=64)
    ap.add_argument('--nz', type=int, default=100)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    pix = np.asarray(load_fkd(a.data))
    count, nc, size, _ = pix.shape
    G, D, optG, optD = reference_pair(size, a.nz, nc, a.width)
    one, mone = torch.FloatTensor([1]), torch.FloatTensor([-1])
    noise = torch.FloatTensor(a.batch, a.nz, 1, 1)
    batches = (count + a.batch - 1) // a.batch
    gen_iterations, trained = 0, 0.0
    log = open(os.path.join(a.out, 'metrics.csv'), 'w')
    log.write('gen_iter,seconds\n')
    while gen_iterations < a.iters:
        order = rng.permutation(count)
        i = 0
        while i < batches and gen_iterations < a.iters:
            t0 = time.perf_counter()
            i = reference_iteration(G, D, optG, optD, pix, order, i, a.batch, noise, gen_iterations, one, mone)
            gen_iterations += 1
            trained += time.perf_counter() - t0
            log.write(f'{gen_iterations},{trained:.3f}\n')
            if gen_iterations % a.every == 0 or gen_iterations == a.iters:
                log.flush()
                save_generator(G, os.path.join(a.out, f'netG_{gen_iterations:06d}.safetensors'), size, nc, a.nz,
                               a.width, a.batch, a.seed)
            if gen_iterations % 50 == 0:
                print(f'[{gen_iterations}/{a.iters}] {trained:.1f} s', file=sys.stderr, flush=True)
    log.close()
    print(f'pytorch {torch.__version__}: {gen_iterations} generator iterations in {trained:.1f} s '
          f'({trained / max(gen_iterations, 1):.3f} s each)')


if __name__ == '__main__':
    main()
