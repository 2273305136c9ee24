#!/usr/bin/python3
"""Writes docs/sr/results.md and its pictures from the outputs of bench/sr_report.sh.

usage: bench/sr_report.py WORK_DIR DOCS_DIR
"""
import glob
import json
import os
import platform
import subprocess
import sys

from PIL import Image

W, DOCS = sys.argv[1:3]


def load(name):
    with open(os.path.join(W, name)) as f:
        return json.loads(f.read())


def table(j):
    lines = ['| image | PSNR fakeit | PSNR bicubic | gain | SSIM fakeit | SSIM bicubic |', '|---|---:|---:|---:|---:|---:|']
    for r in j['per_image']:
        lines.append('| %s | %.2f | %.2f | %+.2f | %.4f | %.4f |' % (
            os.path.basename(r['image']), r['psnr'], r['psnr_bicubic'], r['psnr'] - r['psnr_bicubic'], r['ssim'],
            r['ssim_bicubic']))
    lines.append('| **mean of %d** | **%.2f** | **%.2f** | **%+.2f** | **%.4f** | **%.4f** |' % (
        j['images'], j['psnr'], j['psnr_bicubic'], j['psnr'] - j['psnr_bicubic'], j['ssim'], j['ssim_bicubic']))
    return '\n'.join(lines)


def crop_sheet(src, dst, box):
    """A bicubic | fakeit | original sheet (3 panels, 4 px apart): the same box of each panel, 4 px apart."""
    im = Image.open(src).convert('RGB')
    w = (im.width - 8) // 3
    x, y, s = box
    out = Image.new('RGB', (3 * s + 8, s), 'white')
    for k in range(3):
        out.paste(im.crop((k * (w + 4) + x, y, k * (w + 4) + x + s, y + s)), (k * (s + 4), 0))
    out.save(dst)


def main():
    os.makedirs(DOCS, exist_ok=True)
    photos, bikes, bikes_all = load('photos.json'), load('bikes.json'), load('bikes-all.json')
    swd = {k: load('swd-%s.json' % k) for k in ('model', 'bicubic')}
    # pictures: bike sheets as they are; photo details cropped; fakes stacked
    pics = []
    for k in (0, 3):
        src = os.path.join(W, 'cmp-bikes', 'bikes-test256_%05d.png' % k)
        Image.open(src).save(os.path.join(DOCS, 'bikes-%d.png' % k))
        pics.append('bikes-%d.png' % k)
    for name, box in (('astronaut', (170, 60, 200)), ('chelsea', (150, 60, 200)), ('coffee', (250, 60, 200))):
        crop_sheet(os.path.join(W, 'cmp-photos', name + '.png'), os.path.join(DOCS, 'photo-%s.png' % name), box)
    small = Image.open(os.path.join(W, 'fakes64.png')).convert('RGB')
    rows = [small.resize((small.width * 4, small.height * 4), Image.NEAREST)]
    rows += [Image.open(os.path.join(W, 'fakes-%s.png' % k)).convert('RGB') for k in ('bicubic', 'model')]
    sheet = Image.new('RGB', (max(r.width for r in rows), sum(r.height for r in rows) + 8), 'white')
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height + 4
    sheet.save(os.path.join(DOCS, 'fakes-x4.png'))

    cpu = subprocess.run(['sh', '-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    sm, sb = swd['model'], swd['bicubic']
    out = ['# Super-resolution results (`make bench-sr`)', '',
           'Measured by `bench/sr_report.sh` on %s (%s), x4, PSNR and SSIM on the Y channel with 4 px shaved '
           '(BasicSR convention), fakeit and bicubic (Keys a = -0.5, pixel centres aligned, as MATLAB imresize) by the '
           'same code (`fakeit sr-eval`).' % (
               cpu or platform.processor(), platform.machine()), '',
           '## (a) Held-out photographs', '',
           'Model trained by `fakeit sr-train` on 12 lomiri wallpapers and 11 scikit-image samples '
           '(`--blur 0 --noise 0`: these inputs are clean shrunk photos), measured on 3 other wallpapers and 4 '
           'other samples.', '', table(photos), '',
           '## (b) Held-out bike drawings, 256 px', '',
           'The shipped model `models/bikes-x4.safetensors` (`make sr-model`) on 100 drawings of '
           '`fakeit bikes --seed 2` (the model saw seed 1): the ones `fakeit prepare` keeps (on white: what the GAN '
           'and the model learned from), then all of them (the others stand on coloured, textured backgrounds the '
           'model never saw).', '',
           '| drawings | images | PSNR fakeit | PSNR bicubic | gain | SSIM fakeit | SSIM bicubic |',
           '|---|---:|---:|---:|---:|---:|---:|'] + [
           '| %s | %d | %.2f | %.2f | **%+.2f** | %.4f | %.4f |' % (
               label, j['images'], j['psnr'], j['psnr_bicubic'], j['psnr'] - j['psnr_bicubic'], j['ssim'],
               j['ssim_bicubic']) for label, j in (('on white (kept by prepare)', bikes), ('all', bikes_all))] + [
           '',
           '## (c) GAN fakes upscaled x4: SWD at 256 px', '',
           '%d fakes of a 64 px WGAN trained on the same bikes, upscaled to 256 px by the shipped model and by '
           'bicubic (the same fakes, `fakeit sample --seed 7`), against %d real 256 px bikes '
           '(`fakeit eval --swd-only`; lower is closer; x1000).' % (sm['n'], sm['n']), '',
           '| upscaled by | %s | average | real-vs-real floor |' % ' | '.join('%d px' % v for v in sm['swd']['levels']),
           '|---|' + '---:|' * (len(sm['swd']['levels']) + 2)]
    for name, j in (('fakeit model', sm), ('bicubic', sb)):
        out.append('| %s | %s | **%.2f** | %.2f |' % (name, ' | '.join('%.2f' % v for v in j['swd']['fake']),
                                                     j['swd']['fake_avg'], j['swd']['real_avg']))
    out += ['',
           '## Pictures (bicubic | fakeit | original)', '']
    out += ['![](%s)' % p for p in pics]
    out += ['![](photo-%s.png)' % n for n in ('astronaut', 'chelsea', 'coffee')]
    out += ['', 'Fakes: 64 px (nearest, for size), bicubic x4, fakeit x4:', '', '![](fakes-x4.png)', '']
    with open(os.path.join(DOCS, 'results.md'), 'w') as f:
        f.write('\n'.join(out))
    print('wrote %s/results.md' % DOCS)


main()
