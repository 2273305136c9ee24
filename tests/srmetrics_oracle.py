#!/usr/bin/python3
"""NumPy oracle for fakeit's super-resolution metrics (src/sreval.c): PSNR and
SSIM on the Y channel with the border shaved, transcribed from BasicSR
(basicsr/metrics/psnr_ssim.py calculate_psnr / calculate_ssim with
test_y_channel=True, and utils/color_util.py's Y), in float64. cv2 is not
needed: its filter2D with the 11x11 Gaussian window of sigma 1.5, cut to the
valid region ([5:-5, 5:-5]), is written out.

Writes tests/fixtures/srmetrics.safetensors:  /usr/bin/python3 tests/srmetrics_oracle.py
"""
import sys

import numpy as np

sys.path.insert(0, 'tests')
from oracle import write_safetensors  # noqa: E402
import torch  # noqa: E402


def y_channel(img):  # (h, w, 3) RGB 0..255 -> Y in [16, 235]
    img = img.astype(np.float64) / 255.0
    return (np.dot(img, [65.481, 128.553, 24.966]) + 16.0)


def psnr(a, b, border):
    a = y_channel(a[border:-border, border:-border])
    b = y_channel(b[border:-border, border:-border])
    mse = np.mean((a - b) ** 2)
    return 10.0 * np.log10(255.0 * 255.0 / mse)


def filter_valid(img, window):
    h, w = img.shape
    out = np.zeros((h - 10, w - 10))
    for i in range(11):
        for j in range(11):
            out += window[i, j] * img[i:i + h - 10, j:j + w - 10]
    return out


def ssim(a, b, border):
    img = y_channel(a[border:-border, border:-border])
    img2 = y_channel(b[border:-border, border:-border])
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    k /= k.sum()
    window = np.outer(k, k)
    mu1, mu2 = filter_valid(img, window), filter_valid(img2, window)
    s1 = filter_valid(img ** 2, window) - mu1 ** 2
    s2 = filter_valid(img2 ** 2, window) - mu2 ** 2
    s12 = filter_valid(img * img2, window) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))
    return m.mean()


def main(path):
    rng = np.random.default_rng(7)
    h, w = 37, 45
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.stack([127 + 100 * np.sin(0.2 * xx + 0.1 * yy + c) for c in range(3)], axis=2)
    b = a + rng.normal(0, 12, a.shape)
    a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    b = np.clip(np.rint(b), 0, 255).astype(np.uint8)
    out = {'a': a, 'b': b, 'psnr': np.array([psnr(a, b, 4)]), 'ssim': np.array([ssim(a, b, 4)]),
           'psnr_b2': np.array([psnr(a, b, 2)]), 'ssim_b2': np.array([ssim(a, b, 2)])}
    # float64 figures travel as two float32 halves: hi + lo
    tensors = {}
    for k, v in out.items():
        v = np.asarray(v, np.float64)
        if k in ('a', 'b'):
            tensors[k] = torch.from_numpy(v.astype(np.float32))
        else:
            hi = v.astype(np.float32)
            tensors[k] = torch.from_numpy(np.concatenate([hi, (v - hi).astype(np.float32)]))
    write_safetensors(path, tensors, {'generator': 'tests/srmetrics_oracle.py', 'numpy': np.__version__})
    print(f'{path}: PSNR {out["psnr"][0]:.6f} SSIM {out["ssim"][0]:.6f}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/srmetrics.safetensors')
