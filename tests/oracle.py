#!/usr/bin/python3
"""PyTorch oracle for fakeit's engine.

Builds, in PyTorch, the networks the C tests build (the reference DCGAN_G and
DCGAN_D of martinarjovsky/WassersteinGAN at 64x64 with small widths, a small
super-resolution net and a layer-norm critic), runs them on fixed weights and
inputs, and writes inputs, outputs, losses, every parameter gradient, input
gradients, batch-norm running statistics, and the weights after 3
RMSprop-with-clipping steps and 3 Adam steps to one safetensors file.

Run with Debian's Python (python3-torch):  make fixtures
The output is committed, so the C tests never need PyTorch.
"""
import copy
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ISIZE, NZ, NC, NGF, NDF, BATCH = 64, 16, 3, 8, 8, 3
SEED = 20261128


# --- the reference networks, transcribed from models/dcgan.py ---------------
class DCGAN_D(nn.Module):
    def __init__(self, isize, nz, nc, ndf, ngpu, n_extra_layers=0):
        super().__init__()
        assert isize % 16 == 0
        main = nn.Sequential()
        main.add_module('initial:{0}-{1}:conv'.format(nc, ndf), nn.Conv2d(nc, ndf, 4, 2, 1, bias=False))
        main.add_module('initial:{0}:relu'.format(ndf), nn.LeakyReLU(0.2, inplace=True))
        csize, cndf = isize / 2, ndf
        for t in range(n_extra_layers):
            main.add_module('extra-layers-{0}:{1}:conv'.format(t, cndf), nn.Conv2d(cndf, cndf, 3, 1, 1, bias=False))
            main.add_module('extra-layers-{0}:{1}:batchnorm'.format(t, cndf), nn.BatchNorm2d(cndf))
            main.add_module('extra-layers-{0}:{1}:relu'.format(t, cndf), nn.LeakyReLU(0.2, inplace=True))
        while csize > 4:
            in_feat, out_feat = cndf, cndf * 2
            main.add_module('pyramid:{0}-{1}:conv'.format(in_feat, out_feat), nn.Conv2d(in_feat, out_feat, 4, 2, 1, bias=False))
            main.add_module('pyramid:{0}:batchnorm'.format(out_feat), nn.BatchNorm2d(out_feat))
            main.add_module('pyramid:{0}:relu'.format(out_feat), nn.LeakyReLU(0.2, inplace=True))
            cndf, csize = cndf * 2, csize / 2
        main.add_module('final:{0}-{1}:conv'.format(cndf, 1), nn.Conv2d(cndf, 1, 4, 1, 0, bias=False))
        self.main = main

    def forward(self, x):
        return self.main(x).mean(0).view(1)


class DCGAN_G(nn.Module):
    def __init__(self, isize, nz, nc, ngf, ngpu, n_extra_layers=0):
        super().__init__()
        assert isize % 16 == 0
        cngf, tisize = ngf // 2, 4
        while tisize != isize:
            cngf, tisize = cngf * 2, tisize * 2
        main = nn.Sequential()
        main.add_module('initial:{0}-{1}:convt'.format(nz, cngf), nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False))
        main.add_module('initial:{0}:batchnorm'.format(cngf), nn.BatchNorm2d(cngf))
        main.add_module('initial:{0}:relu'.format(cngf), nn.ReLU(True))
        csize = 4
        while csize < isize // 2:
            main.add_module('pyramid:{0}-{1}:convt'.format(cngf, cngf // 2), nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False))
            main.add_module('pyramid:{0}:batchnorm'.format(cngf // 2), nn.BatchNorm2d(cngf // 2))
            main.add_module('pyramid:{0}:relu'.format(cngf // 2), nn.ReLU(True))
            cngf, csize = cngf // 2, csize * 2
        for t in range(n_extra_layers):
            main.add_module('extra-layers-{0}:{1}:conv'.format(t, cngf), nn.Conv2d(cngf, cngf, 3, 1, 1, bias=False))
            main.add_module('extra-layers-{0}:{1}:batchnorm'.format(t, cngf), nn.BatchNorm2d(cngf))
            main.add_module('extra-layers-{0}:{1}:relu'.format(t, cngf), nn.ReLU(True))
        main.add_module('final:{0}-{1}:convt'.format(cngf, nc), nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False))
        main.add_module('final:{0}:tanh'.format(nc), nn.Tanh())
        self.main = main

    def forward(self, x):
        return self.main(x)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


# --- a small super-resolution net: conv 9x9, PReLU, a residual block, -------
# --- pixel shuffle x2, plus the nearest-upsampled input -----------------------
class SR(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 8, 9, 1, 4)
        self.head_act = nn.PReLU(8)
        self.body1 = nn.Conv2d(8, 8, 3, 1, 1)
        self.body_act = nn.PReLU(8)
        self.body2 = nn.Conv2d(8, 8, 3, 1, 1)
        self.up = nn.Conv2d(8, 12, 3, 1, 1)

    def forward(self, x):
        h = self.head_act(self.head(x))
        r = self.body2(self.body_act(self.body1(h))) + h
        return F.pixel_shuffle(self.up(r), 2) + F.interpolate(x, scale_factor=2, mode='nearest')


# --- a layer-norm critic (WGAN-GP style): conv, layer norm over (C,H,W) ------
# --- with per-channel affine, LeakyReLU, linear --------------------------------
class LNCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 4, 2, 1, bias=False)
        self.ln = nn.Module()
        self.ln.weight = nn.Parameter(1 + 0.1 * torch.randn(4))
        self.ln.bias = nn.Parameter(0.1 * torch.randn(4))
        self.fc = nn.Linear(4 * 4 * 4, 1)

    def forward(self, x):
        h = self.conv(x)
        h = F.layer_norm(h, h.shape[1:], eps=1e-5) * self.ln.weight.view(1, -1, 1, 1) + self.ln.bias.view(1, -1, 1, 1)
        h = F.leaky_relu(h, 0.2)
        return self.fc(h.flatten(1))


# --- the WGAN-GP critic: DCGAN_D without batch norm, or with layer norm ------
# --- over (C, H, W) and a per-channel affine ----------------------------------
class LayerNormC(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.layer_norm(x, x.shape[1:], eps=1e-5) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class GPCritic(nn.Module):
    def __init__(self, isize, nc, ndf, n_extra, norm):
        super().__init__()
        main = nn.Sequential()

        def norm_act(stage, c, size):
            if norm == 'layer':
                main.add_module(f'{stage}:{c}:layernorm', LayerNormC(c))
            main.add_module(f'{stage}:{c}:relu', nn.LeakyReLU(0.2))
        main.add_module(f'initial:{nc}-{ndf}:conv', nn.Conv2d(nc, ndf, 4, 2, 1, bias=False))
        main.add_module(f'initial:{ndf}:relu', nn.LeakyReLU(0.2))
        csize, cndf = isize // 2, ndf
        for t in range(n_extra):
            main.add_module(f'extra-layers-{t}:{cndf}:conv', nn.Conv2d(cndf, cndf, 3, 1, 1, bias=False))
            norm_act(f'extra-layers-{t}', cndf, csize)
        while csize > 4:
            main.add_module(f'pyramid:{cndf}-{cndf * 2}:conv', nn.Conv2d(cndf, cndf * 2, 4, 2, 1, bias=False))
            norm_act('pyramid', cndf * 2, csize // 2)
            cndf, csize = cndf * 2, csize // 2
        main.add_module(f'final:{cndf}-1:conv', nn.Conv2d(cndf, 1, 4, 1, 0, bias=False))
        self.main = main


GP_SIZE, GP_NZ, GP_WIDTH, GP_BATCH, GP_STEPS, GP_LAMBDA = 32, 16, 8, 4, 3, 10.0


def gp_fixture(path):
    """WGAN-GP critic steps with PyTorch autograd (create_graph=True): for a
    critic without normalisation and one with layer norm, the penalty at a
    given interpolate and its parameter gradients alone, then 3 full critic
    steps (D(real) - D(fake) + penalty, Adam 1e-4, betas (0, 0.9)): losses,
    the gradients of the first step, the weights after the third."""
    torch.manual_seed(SEED + 2)
    out = {}

    def put(name, t):
        assert name not in out, name
        out[name] = t.detach().clone().float().contiguous()

    def penalty(D, xhat):
        xhat = xhat.detach().requires_grad_()
        s = D.main(xhat).view(-1)
        (g,) = torch.autograd.grad(s, xhat, grad_outputs=torch.ones_like(s), create_graph=True)
        return GP_LAMBDA * ((g.view(g.size(0), -1).norm(2, dim=1) - 1) ** 2).mean(), g

    for norm in ('none', 'layer'):
        pre = f'{norm}.'
        G = DCGAN_G(GP_SIZE, GP_NZ, NC, GP_WIDTH, 0, 1)
        G.apply(weights_init)
        D = GPCritic(GP_SIZE, NC, GP_WIDTH, 1, norm)
        with torch.no_grad():  # weights large enough that ||grad|| is near 1
            for k, p in D.named_parameters():
                if k.endswith('conv.weight'):
                    p.normal_(0.0, 0.15)
                elif k.endswith('layernorm.weight'):
                    p.copy_(1 + 0.2 * torch.randn_like(p))
                else:
                    p.normal_(0.0, 0.2)
        for prefix, net in (('G.init.', G), ('D.init.', D)):
            for k, v in net.state_dict().items():
                if not k.endswith('num_batches_tracked'):
                    put(pre + prefix + k, v)
        # the penalty alone at one interpolate
        xhat = torch.rand(GP_BATCH, NC, GP_SIZE, GP_SIZE) * 2 - 1
        d = copy.deepcopy(D)
        gp, g = penalty(d, xhat)
        gp.backward()
        put(pre + 'xhat', xhat)
        put(pre + 'gx', g)
        put(pre + 'penalty', gp)
        for k, p in d.named_parameters():
            put(pre + 'pgrad.' + k, p.grad)
        # three critic steps
        opt = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
        losses = []
        for j in range(GP_STEPS):
            real = torch.rand(GP_BATCH, NC, GP_SIZE, GP_SIZE) * 2 - 1
            z = torch.randn(GP_BATCH, GP_NZ, 1, 1)
            alpha = torch.rand(GP_BATCH)
            put(pre + f'real.{j}', real)
            put(pre + f'z.{j}', z)
            put(pre + f'alpha.{j}', alpha)
            D.zero_grad()
            err_real = D.main(real).view(-1).mean()
            err_real.backward()
            with torch.no_grad():
                fake = G(z)
            err_fake = D.main(fake).view(-1).mean()
            (-err_fake).backward()
            a = alpha.view(-1, 1, 1, 1)
            gp, _ = penalty(D, a * real + (1 - a) * fake)
            gp.backward()
            losses.append([err_real.item(), err_fake.item(), gp.item()])
            if j == 0:
                for k, p in D.named_parameters():
                    put(pre + 'grad0.' + k, p.grad)
            opt.step()
        put(pre + 'losses', torch.tensor(losses))
        for k, v in D.state_dict().items():
            put(pre + 'D.final.' + k, v)

    write_safetensors(path, out, {'generator': 'tests/oracle.py', 'torch': torch.__version__, 'seed': str(SEED + 2)})
    total = sum(t.numel() for t in out.values())
    print(f'{path}: {len(out)} tensors, {total * 4 / 1e6:.2f} MB (torch {torch.__version__})')


def main(path):
    engine_fixture(path)
    train_fixture(path.replace('engine.safetensors', 'train.safetensors'))
    gp_fixture(path.replace('engine.safetensors', 'gp.safetensors'))


def state_tensors(net):
    """state_dict as plain float tensors, num_batches_tracked included (int64)."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def read_safetensors(path):
    """A minimal reader (Debian has no python3-safetensors): name -> tensor."""
    import numpy as np
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    dt = {'F32': np.float32, 'I64': np.int64}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        b, e = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt[v['dtype']]).reshape(v['shape']).copy())
    return out


T_SIZE, T_NZ, T_WIDTH, T_BATCH, T_ITERS, T_DITERS = 32, 16, 8, 4, 2, 3


def train_fixture(path):
    """Two generator iterations of the reference training loop (main.py):
    3 critic steps each (clip, D(real) backward +1, G(z) without gradients,
    D(fake) backward -1, RMSprop), then a generator step through the frozen
    critic; plus PyTorch <-> fakeit checkpoint interchange."""
    torch.manual_seed(SEED + 1)
    out = {}

    def put(name, t):
        assert name not in out, name
        out[name] = t.detach().clone().float().contiguous()

    G = DCGAN_G(T_SIZE, T_NZ, NC, T_WIDTH, 0)
    D = DCGAN_D(T_SIZE, T_NZ, NC, T_WIDTH, 0)
    G.apply(weights_init)
    D.apply(weights_init)
    for prefix, net in (('G.init.', G), ('D.init.', D)):
        for k, v in net.state_dict().items():
            if not k.endswith('num_batches_tracked'):
                put(prefix + k, v)
    optD = torch.optim.RMSprop(D.parameters(), lr=5e-5)
    optG = torch.optim.RMSprop(G.parameters(), lr=5e-5)
    one, mone = torch.FloatTensor([1]), torch.FloatTensor([-1])
    loss_d, loss_g = [], []
    for it in range(T_ITERS):
        for p in D.parameters():
            p.requires_grad = True
        for j in range(T_DITERS):
            for p in D.parameters():
                p.data.clamp_(-0.01, 0.01)
            real = torch.rand(T_BATCH, NC, T_SIZE, T_SIZE) * 2 - 1
            put(f'real.{it}.{j}', real)
            D.zero_grad()
            err_real = D(real)
            err_real.backward(one)
            noise = torch.randn(T_BATCH, T_NZ, 1, 1)
            put(f'z.{it}.{j}', noise)
            with torch.no_grad():
                fake = G(noise)  # training mode: G's running statistics move, as in the original
            err_fake = D(fake)
            err_fake.backward(mone)
            loss_d.append((err_real - err_fake).item())
            optD.step()
        for p in D.parameters():
            p.requires_grad = False
        G.zero_grad()
        noise = torch.randn(T_BATCH, T_NZ, 1, 1)
        put(f'zg.{it}', noise)
        err_g = D(G(noise))
        err_g.backward(one)
        loss_g.append(err_g.item())
        optG.step()
    # the data pipeline: bytes -> ToTensor -> Normalize(0.5, 0.5), all 256 values
    put('pixels.to_float', (torch.arange(256, dtype=torch.uint8).float().div(255) - 0.5) / 0.5)
    put('loss_d', torch.tensor(loss_d))
    put('loss_g', torch.tensor(loss_g))
    for prefix, net in (('G.final.', G), ('D.final.', D)):
        for k, v in net.state_dict().items():
            if not k.endswith('num_batches_tracked'):
                put(prefix + k, v)

    # PyTorch -> fakeit: the trained generator's state_dict as a safetensors
    # file (what safetensors.torch.save_file writes), and its outputs
    z = torch.randn(T_BATCH, T_NZ, 1, 1)
    put('interop.z', z)
    fixtures = path.rsplit('/', 1)[0]
    write_safetensors(fixtures + '/torch_netG.safetensors', state_tensors(G), None)
    G.train()
    put('interop.torch_G_train', G(z))
    G.eval()
    put('interop.torch_G_eval', G(z))
    # fakeit -> PyTorch: a generator saved by fakeit (build/fixture_ckpt)
    # loads with strict=True and computes the same images
    G2 = DCGAN_G(T_SIZE, T_NZ, NC, T_WIDTH, 0)
    G2.load_state_dict(read_safetensors(fixtures + '/fakeit_netG.safetensors'), strict=True)
    put('interop.fakeit_G_tracked', G2.main[1].num_batches_tracked.float())  # before a forward adds one
    put('interop.fakeit_G_train', G2(z))
    G2.eval()
    put('interop.fakeit_G_eval', G2(z))

    write_safetensors(path, out, {'generator': 'tests/oracle.py', 'torch': torch.__version__, 'seed': str(SEED + 1)})
    total = sum(t.numel() for t in out.values())
    print(f'{path}: {len(out)} tensors, {total * 4 / 1e6:.2f} MB (torch {torch.__version__})')


# --- bicubic upsampling as a matrix: out = A_H x A_W^T per plane -------------
def cubic_matrix(n, s, a):
    """(n s, n): Keys' cubic with parameter a, centres aligned, edges replicated."""
    def k(t):
        t = abs(t)
        if t <= 1:
            return ((a + 2) * t - (a + 3)) * t * t + 1
        if t < 2:
            return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return 0.0
    m = torch.zeros(n * s, n, dtype=torch.float64)
    for o in range(n * s):
        u = (o + 0.5) / s - 0.5
        i0 = math.floor(u)
        for i in range(i0 - 1, i0 + 3):
            m[o, min(max(i, 0), n - 1)] += k(u - i)
    return m


def bicubic_up(x, s, a=-0.5):
    H, W = x.shape[-2:]
    return (cubic_matrix(H, s, a) @ x.double() @ cubic_matrix(W, s, a).T).to(x.dtype)


def engine_fixture(path):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    out = {}

    def put(name, t):
        assert name not in out, name
        out[name] = t.detach().clone().float().contiguous()

    def put_state(prefix, net):
        for k, v in net.state_dict().items():
            if not k.endswith('num_batches_tracked'):
                put(prefix + k, v)

    def put_buffers(prefix, net):
        for k, v in net.named_buffers():
            if not k.endswith('num_batches_tracked'):
                put(prefix + k, v)

    def put_grads(prefix, net):
        for k, p in net.named_parameters():
            put(prefix + k, p.grad)

    G = DCGAN_G(ISIZE, NZ, NC, NGF, 0)
    D = DCGAN_D(ISIZE, NZ, NC, NDF, 0)
    G.apply(weights_init)
    D.apply(weights_init)
    put_state('G.init.', G)
    put_state('D.init.', D)
    real = torch.rand(BATCH, NC, ISIZE, ISIZE) * 2 - 1
    z = torch.randn(BATCH, NZ, 1, 1)
    put('real', real)
    put('z', z)

    # 1. every gradient, once: a critic step (real and fake in separate
    #    passes, gradients summed), then a generator step through the critic.
    g, d = copy.deepcopy(G), copy.deepcopy(D)
    fake = g(z)
    put('G.fake', fake)
    real_in = real.clone().requires_grad_()
    s_real = d.main(real_in).view(-1)
    s_real.mean().backward()
    fake_in = fake.detach().clone().requires_grad_()
    s_fake = d.main(fake_in).view(-1)
    (-s_fake.mean()).backward()
    put('D.score_real', s_real)
    put('D.score_fake', s_fake)
    put('D.loss', s_real.mean() - s_fake.mean())
    put('D.dreal', real_in.grad)
    put_grads('D.grad.', d)
    for p in d.parameters():
        p.requires_grad = False
    fake2 = g(z)
    fake2.retain_grad()
    errG = d.main(fake2).view(-1).mean()
    errG.backward()
    put('G.loss', errG)
    put('G.dfake', fake2.grad)
    put_grads('G.grad.', g)
    assert torch.equal(fake_in.grad, -fake2.grad)  # so one of them is enough
    put_buffers('G.after.', g)  # running statistics after two forwards
    put_buffers('D.after.', d)  # after three

    # 2. three critic steps: RMSprop lr 5e-5, weights clipped to +-0.01 first
    g, d = copy.deepcopy(G), copy.deepcopy(D)
    opt = torch.optim.RMSprop(d.parameters(), lr=5e-5)
    fake = g(z).detach()
    losses = []
    for _ in range(3):
        for p in d.parameters():
            p.data.clamp_(-0.01, 0.01)
        d.zero_grad()
        err_real = d(real)
        err_real.backward(torch.ones(1))
        err_fake = d(fake)
        err_fake.backward(-torch.ones(1))
        losses.append((err_real - err_fake).item())
        opt.step()
    put('D.rms.loss', torch.tensor(losses))
    put_state('D.rms.', d)

    # 3. three generator steps: Adam lr 1e-3 betas (0.5, 0.999), critic frozen
    g, d = copy.deepcopy(G), copy.deepcopy(D)
    for p in d.parameters():
        p.requires_grad = False
    opt = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
    losses = []
    for _ in range(3):
        g.zero_grad()
        err = d(g(z))
        err.backward()
        losses.append(err.item())
        opt.step()
    put('G.adam.loss', torch.tensor(losses))
    put_state('G.adam.', g)
    g.eval()  # batch norm on running statistics
    put('G.eval_out', g(z))

    # 4. super-resolution net: L1 gradients, MSE value and gradient
    sr = SR()
    with torch.no_grad():
        sr.head_act.weight.uniform_(0.1, 0.4)
        sr.body_act.weight.uniform_(0.1, 0.4)
    x = torch.rand(2, 3, 10, 10).requires_grad_()
    target = torch.rand(2, 3, 20, 20)
    put_state('SR.init.', sr)
    put('SR.x', x)
    put('SR.target', target)
    y = sr(x)
    l1 = F.l1_loss(y, target)
    l1.backward()
    mse = F.mse_loss(y, target)
    (dmse,) = torch.autograd.grad(mse, y)
    put('SR.out', y)
    put('SR.l1', l1)
    put('SR.mse', mse)
    put('SR.dmse', dmse)
    put('SR.dx', x.grad)
    put_grads('SR.grad.', sr)

    # 5. layer-norm critic: generator-loss gradients
    ln = LNCritic()
    x = (torch.rand(3, 3, 8, 8) * 2 - 1).requires_grad_()
    put_state('LN.init.', ln)
    put('LN.x', x)
    s = ln(x).view(-1)
    s.mean().backward()
    put('LN.score', s)
    put('LN.dx', x.grad)
    put_grads('LN.grad.', ln)

    # 6. bicubic upsampling x2 and x4 (a = -0.5): forward and the gradient of
    #    sum(out * dy). The matrix form is checked first against PyTorch's own
    #    bicubic (a = -0.75, align_corners=False), which clamps edges alike.
    x = torch.rand(2, 3, 6, 5) * 2 - 1
    for s in (2, 4):
        ref = F.interpolate(x, scale_factor=s, mode='bicubic', align_corners=False)
        assert torch.allclose(bicubic_up(x, s, -0.75), ref, atol=1e-5), 'cubic_matrix disagrees with PyTorch'
    put('BIC.x', x)
    for s in (2, 4):
        xi = x.clone().requires_grad_()
        y = bicubic_up(xi, s)
        dy = torch.randn_like(y)
        (y * dy).sum().backward()
        put(f'BIC.out{s}', y)
        put(f'BIC.dy{s}', dy)
        put(f'BIC.dx{s}', xi.grad)

    write_safetensors(path, out, {'generator': 'tests/oracle.py', 'torch': torch.__version__,
                                  'seed': str(SEED)})
    total = sum(t.numel() for t in out.values())
    print(f'{path}: {len(out)} tensors, {total * 4 / 1e6:.2f} MB (torch {torch.__version__})')


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        if t.dtype == torch.int64:
            b, dtype = t.numpy().astype('<i8').tobytes(), 'I64'
        else:
            b, dtype = t.numpy().astype('<f4').tobytes(), 'F32'
        header[k] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/engine.safetensors')
