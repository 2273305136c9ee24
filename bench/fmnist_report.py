#!/usr/bin/python3
"""Writes docs/fmnist/results.md from the runs of bench/fmnist.sh (standard library only).

usage: bench/fmnist_report.py BUILD_DIR DOCS_DIR MINUTES WIDTH EVERY N FLOOR [SEEDS]
"""
import csv
import json
import os
import struct
import platform
import re
import subprocess
import sys

B, DOCS, MINUTES, WIDTH, EVERY, N, FLOOR = sys.argv[1:8]
SEEDS = sys.argv[8].split() if len(sys.argv) > 8 else []
FLOOR = float(FLOOR)
NAMES = {'wgan': 'fakeit WGAN (clipping)', 'wgangp': 'fakeit WGAN-GP', 'pytorch': 'PyTorch WGAN (reference code)'}


def rows():
    out = {'wgan': [], 'wgangp': [], 'pytorch': []}
    with open(os.path.join(DOCS, 'swd.csv')) as f:
        for r in csv.DictReader(f):
            out.setdefault(r['run'], []).append((int(r['gen_iter']), float(r['seconds']), float(r['swd'])))
    return out


def last_row(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l]
    return lines[-1].split(',')


def verdicts(path):
    text = open(path).read() if os.path.exists(path) else ''
    flagged = re.search(r'flagged [^:]*: (\d+) of (\d+)', text)
    ratio = re.search(r'mean pairwise distance: fakes ([\d.]+), reals ([\d.]+), ratio ([\d.]+)', text)
    lines = re.findall(r'-> (.*)', text)
    return (f'{flagged.group(1)} of {flagged.group(2)}' if flagged else '?',
            ratio.group(3) if ratio else '?', lines[1] if len(lines) > 1 else '?')


def cpu():
    try:
        for l in open('/proc/cpuinfo'):
            if l.startswith('model name'):
                return l.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def torch_version():
    """From a saved generator's metadata ("trained_by": "pytorch X")."""
    try:
        d = os.path.join(B, 'torch')
        name = sorted(x for x in os.listdir(d) if x.endswith('.safetensors'))[0]
        with open(os.path.join(d, name), 'rb') as f:
            (n,) = struct.unpack('<Q', f.read(8))
            return json.loads(f.read(n))['__metadata__']['trained_by'].split()[-1]
    except (OSError, IndexError, KeyError, ValueError):
        return '?'


def second_half_mean(d, upto):
    late = [x[2] for x in d if upto / 2 <= x[0] <= upto]
    return sum(late) / len(late) if late else float('nan'), len(late)


def main():
    r = rows()
    budget = float(MINUTES) * 60
    totals = {}
    for k, d in (('wgan', 'wgan'), ('wgangp', 'wgangp')):
        last = last_row(os.path.join(B, d, 'metrics.csv'))
        totals[k] = (int(last[0]), float(last[9]))
    last = last_row(os.path.join(B, 'torch', 'metrics.csv'))
    totals['pytorch'] = (int(last[0]), float(last[1]))
    ncores = os.cpu_count()
    print('# Fashion-MNIST: fakeit WGAN, WGAN-GP and the PyTorch reference\n')
    print(f'Reproduce with `make bench-fmnist` (bench/fmnist.sh); this page is its output, measured on '
          f'{cpu()} ({ncores} cores, 2 threads per run), PyTorch {torch_version()}.\n')
    print(f'Data: Debian\'s `dataset-fashion-mnist`, 60,000 training images, 28x28 grey padded to 32x32; '
          f'quality is measured against the 10,000 test images, never trained on. Networks: the DCGAN pair of '
          f'the WGAN reference code at 32x32 with width {WIDTH} (ngf = ndf = {WIDTH}, nz = 100), batch 64.\n')
    print(f'- **fakeit WGAN**: the original recipe (RMSprop 5e-5, clipping 0.01, 5 critic steps, 100 for the first '
          f'25 and every 500th generator iteration), {MINUTES} minutes of training.')
    print(f'- **fakeit WGAN-GP**: `--loss wgan-gp` defaults (Adam 1e-4, betas (0, 0.9), lambda 10, critic without '
          f'batch norm, 5 critic steps), the same {MINUTES} minutes.')
    print(f'- **PyTorch**: martinarjovsky/WassersteinGAN `main.py`\'s loop (bench/torch_fmnist.py), same networks '
          f'and hyperparameters, for as many generator iterations as fakeit WGAN reached.\n')
    print(f'Quality: sliced Wasserstein distance (x1000, lower is better) of {N} fakes against {N} test images, '
          f'every {EVERY} generator iterations and at the end, by the same code (`fakeit eval`: same test images, '
          f'patches, directions and noise for every run). The floor, {N} test images against {N} other test '
          f'images, is **{FLOOR:.2f}**. Measuring time is not counted as training time.\n')
    print('| run | generator iterations | training seconds | s / iteration | SWD at the end | best SWD |')
    print('|---|---:|---:|---:|---:|---:|')
    for k in ('wgan', 'wgangp', 'pytorch'):
        it, sec = totals[k]
        d = r[k]
        print(f'| {NAMES[k]} | {it} | {sec:.0f} | {sec / max(it, 1):.3f} | {d[-1][2]:.2f} | '
              f'{min(x[2] for x in d):.2f} |' if d else f'| {NAMES[k]} | {it} | {sec:.0f} | | | |')
    # equal iterations
    tw = {x[0]: x for x in r['wgan']}
    tp = {x[0]: x for x in r['pytorch']}
    tg = {x[0]: x for x in r['wgangp']}
    seeds = ['1'] + [x for x in SEEDS if ('wgan_s' + x) in r and ('pytorch_s' + x) in r]
    fk = {'1': tw, **{x: {y[0]: y for y in r['wgan_s' + x]} for x in seeds[1:]}}
    pt = {'1': tp, **{x: {y[0]: y for y in r['pytorch_s' + x]} for x in seeds[1:]}}
    common = sorted(set.intersection(*[set(fk[x]) for x in seeds], *[set(pt[x]) for x in seeds]))
    print('\n## Equal generator iterations: fakeit WGAN against PyTorch (the same computation)\n')
    print(f'Seeds {", ".join(seeds)} for both programs (seed 1 is the timed run above).\n')
    head = ' | '.join(f'fakeit s{x} | PyTorch s{x}' for x in seeds)
    print(f'| generator iteration | {head} | fakeit WGAN-GP |')
    print('|---:|' + '---:|' * (2 * len(seeds) + 1))
    for i in common:
        cells = ' | '.join(f'{fk[x][i][2]:.2f} | {pt[x][i][2]:.2f}' for x in seeds)
        g = f'{tg[i][2]:.2f}' if i in tg else ''
        print(f'| {i} | {cells} | {g} |')
    if common:
        upto = common[-1]
        print(f'\nMean SWD over the second half (iterations {upto // 2} to {upto}), per seed:\n')
        print('| seed | fakeit WGAN | PyTorch WGAN |')
        print('|---|---:|---:|')
        mf, mp = [], []
        for x in seeds:
            a, _ = second_half_mean(r['wgan' if x == '1' else 'wgan_s' + x], upto)
            b, _ = second_half_mean(r['pytorch' if x == '1' else 'pytorch_s' + x], upto)
            mf.append(a), mp.append(b)
            print(f'| {x} | {a:.2f} | {b:.2f} |')
        af, ap = sum(mf) / len(mf), sum(mp) / len(mp)
        print(f'| mean | **{af:.2f}** | **{ap:.2f}** |')
        print(f'\nfakeit / PyTorch: {af / ap:.2f}; between seeds fakeit spans {min(mf):.2f}-{max(mf):.2f}, PyTorch '
              f'{min(mp):.2f}-{max(mp):.2f}. Each program starts from its own random weights and draws its own '
              f'batches and noise, so each run is one sample of the same training process; the replay test '
              f'(test_train) shows step by step that the computation is the same.')
    # equal wall-clock
    print(f'\n## Equal training time: {MINUTES} minutes\n')
    p_at = [x for x in r['pytorch'] if x[1] <= budget]
    print('| run | generator iterations done | SWD then |')
    print('|---|---:|---:|')
    for k in ('wgan', 'wgangp'):
        if r[k]:
            print(f'| {NAMES[k]} | {r[k][-1][0]} | {r[k][-1][2]:.2f} |')
    if p_at:
        print(f'| {NAMES["pytorch"]} (last measurement within {budget:.0f} s) | {p_at[-1][0]} | {p_at[-1][2]:.2f} |')
    print('\n![SWD over generator iterations](swd_iters.png)\n')
    print('![SWD over training time](swd_seconds.png)\n')
    print('## Samples (the same 64 noise vectors for all three) and the real images\n')
    print('| fakeit WGAN | fakeit WGAN-GP | PyTorch WGAN | real |')
    print('|---|---|---|---|')
    print('| ![](wgan.png) | ![](wgangp.png) | ![](pytorch.png) | ![](real.png) |\n')
    print('## Copies and diversity of the final fakes (`fakeit eval`, against the 60,000 training images)\n')
    print('| run | fakes flagged as near-copies | diversity ratio (fakes / reals) | verdict |')
    print('|---|---:|---:|---|')
    for k, d in (('wgan', 'wgan'), ('wgangp', 'wgangp'), ('pytorch', 'torch')):
        f, ratio, v = verdicts(os.path.join(B, d, 'eval.txt'))
        print(f'| {NAMES[k]} | {f} | {ratio} | {v} |')
    print('\nnearest.png sheets: [fakeit WGAN](nearest_wgan.png), [fakeit WGAN-GP](nearest_wgangp.png), '
          '[PyTorch](nearest_pytorch.png) (top row: the fakes closest to a training image; bottom: that image).')
    try:
        rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
        print(f'\n(fakeit commit {rev}; raw figures in swd.csv.)')
    except OSError:
        pass


if __name__ == '__main__':
    main()
