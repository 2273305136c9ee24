#!/usr/bin/python3
"""NumPy oracle for fakeit's sliced Wasserstein distance (src/swd.c).

A transcription of progressive_growing_of_gans metrics/sliced_wasserstein.py
(Karras et al. 2018) as ../shared/reference/METRICS-AND-SR.md states it, with
the random choices (patch centres, directions) drawn here and stored, so the C
code can be fed the same ones. scipy is not needed: the 5x5 convolution with
'mirror' boundary is written out (scipy.ndimage.convolve(mode='mirror')
reflects as d c b | a b c d | c b a).

Writes tests/fixtures/swd.safetensors:  /usr/bin/python3 tests/swd_oracle.py
"""
import sys

import numpy as np

sys.path.insert(0, 'tests')
from oracle import write_safetensors  # noqa: E402  (the same file writer)
import torch  # noqa: E402  (write_safetensors takes tensors)

KERNEL = np.float32([[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4],
                     [1, 4, 6, 4, 1]]) / 256.0


def convolve_mirror(x, k):
    """scipy.ndimage.convolve(x, k[None, None], mode='mirror') for (N, C, H, W), k 5x5 symmetric."""
    p = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (2, 2), (2, 2)), mode='reflect')  # numpy 'reflect' = scipy 'mirror'
    H, W = x.shape[2:]
    out = np.zeros(x.shape, np.float64)
    for a in range(5):
        for b in range(5):
            out += k[a, b] * p[:, :, a:a + H, b:b + W]
    return out.astype(np.float32)


def pyr_down(m):
    return convolve_mirror(m, KERNEL)[:, :, ::2, ::2]


def pyr_up(m):
    S = m.shape
    res = np.zeros((S[0], S[1], S[2] * 2, S[3] * 2), m.dtype)
    res[:, :, ::2, ::2] = m
    return convolve_mirror(res, KERNEL * 4.0)


def laplacian_pyramid(m, num_levels):
    pyramid = [np.float32(m)]
    for _ in range(1, num_levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] -= pyr_up(pyramid[-1])
    return pyramid


def descriptors(level, xy, per_image):
    """(N, 3, S, S) level, xy (N*per_image, 2) centres -> (N*per_image, 3, 7, 7), (channel, y, x) order."""
    n = xy.shape[0]
    out = np.zeros((n, 3, 7, 7), np.float32)
    for p in range(n):
        x, y = xy[p]
        out[p] = level[p // per_image, :, y - 3:y + 4, x - 3:x + 4]
    return out


def finalize(desc):
    desc = desc - np.mean(desc, axis=(0, 2, 3), keepdims=True)
    desc /= np.std(desc, axis=(0, 2, 3), keepdims=True)
    return desc.reshape(desc.shape[0], -1)


def sliced_wasserstein(A, B, dirs):
    results = []
    for d in dirs:  # (147, ndirs) unit columns
        projA = np.sort(np.matmul(A, d), axis=0)
        projB = np.sort(np.matmul(B, d), axis=0)
        results.append(np.mean(np.abs(projA - projB)))
    return np.mean(results)


def images(rng, n, smooth):
    """n RGB images of 32 px: a few blurred random blobs and noise, uint8."""
    yy, xx = np.mgrid[0:32, 0:32]
    out = np.zeros((n, 3, 32, 32), np.float64)
    for i in range(n):
        for _ in range(4):
            cx, cy, r = rng.uniform(4, 28), rng.uniform(4, 28), rng.uniform(3, 10)
            col = rng.uniform(0, 255, 3)
            mask = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            out[i] = out[i] * (1 - mask) + col[:, None, None] * mask
        out[i] += rng.normal(0, 255 * (0.02 if smooth else 0.15), (3, 32, 32))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def main(path):
    rng = np.random.default_rng(20261128)
    n, per_image, repeats, ndirs = 6, 16, 2, 8
    A = images(rng, n, True)
    B = images(rng, n, False)
    out = {'A': A, 'B': B}
    levels = []
    s = 32
    while s >= 16:
        levels.append(s)
        s //= 2
    pa = laplacian_pyramid(A, len(levels))
    pb = laplacian_pyramid(B, len(levels))
    dists = []
    for k, s in enumerate(levels):
        out[f'pyr.A.{k}'] = pa[k]
        xya = rng.integers(3, s - 3, size=(n * per_image, 2))
        xyb = rng.integers(3, s - 3, size=(n * per_image, 2))
        da = finalize(descriptors(pa[k], xya, per_image))
        db = finalize(descriptors(pb[k], xyb, per_image))
        dirs = rng.standard_normal((repeats, 147, ndirs))
        dirs /= np.sqrt(np.sum(np.square(dirs), axis=1, keepdims=True))
        dirs = dirs.astype(np.float32)
        out[f'xy.A.{k}'] = xya
        out[f'xy.B.{k}'] = xyb
        out[f'desc.A.{k}'] = da
        out[f'dirs.{k}'] = dirs
        dists.append(sliced_wasserstein(da, db, dirs) * 1e3)
    out['dist'] = np.float32(dists)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}
    write_safetensors(path, tensors, {'generator': 'tests/swd_oracle.py', 'numpy': np.__version__,
                                      'per_image': str(per_image), 'repeats': str(repeats), 'dirs': str(ndirs)})
    print(f'{path}: {len(tensors)} tensors; SWD per level {dists}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/swd.safetensors')
