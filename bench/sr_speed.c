// sr_speed.c: fakeit's side of the super-resolution benchmark.
//
// The network of `fakeit sr-train` and `fakeit upscale` with its defaults
// (SRVGGNetCompact: 3x3 convolutions of 32 features, 8 body convolutions,
// PReLU, pixel shuffle x4, bicubic skip), timed in two parts:
// - a training step as sr-train runs it, without making the crops: upload a
//   batch of low- and high-resolution crops, forward, L1 loss, backward,
//   Adam; random crops, the first step a warm-up;
// - upscaling as `fakeit upscale` runs it: forwards of one tile of --tile
//   input pixels with its margins of nconv + 2 pixels on each side (the
//   receptive radius), counted as the tile's --tile x 4 square of output.
// The crops' making (libvips' Lanczos shrink, blur, noise) and the image
// files are not timed; bench/torch_sr.py times the same in PyTorch.
//
// Prints one line:
//   fakeit-sr backend=B precision=P batch=N patch=S threads=T sec_per_step=X
//   steps_per_s=R upscale_mpx_per_s=U gflop_per_step=F gflops=G peak_rss_mb=M
// gflop_per_step: the multiply-adds (x2) of every convolution of a step
// (forward, input gradient below the first layer, weight gradient).
// With --profile, first one line per layer of the training step, as
// bench_speed --profile prints them (net=SR; layer=other: uploads, loss).
//
// usage: bench_sr_speed [--batch N] [--patch S] [--threads T] [--iters I]
//                       [--tile P] [--reps R] [--backend NAME] [--precision P] [--profile]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backend/backend.h"
#include "nn/optimizer.h"
#include "nn/srnet.h"
#include "util/rng.h"
#include "util/util.h"
#include "profile.h"

static void fill_uniform(float *x, size_t n, Rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)rng_uniform(r);
}

int main(int argc, char **argv) {
    fk_tune_malloc();  // as the fakeit program runs (fk_main)
    int batch = 16, patch = 32, threads = 2, iters = 20, tile = 64, reps = 20, profile = 0;
    const char *be_name = NULL, *precision = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(k, "--profile")) {
            profile = 1, i--;
            continue;
        }
        if (!strcmp(k, "--batch")) batch = atoi(v);
        else if (!strcmp(k, "--patch")) patch = atoi(v);
        else if (!strcmp(k, "--threads")) threads = atoi(v);
        else if (!strcmp(k, "--iters")) iters = atoi(v);
        else if (!strcmp(k, "--tile")) tile = atoi(v);
        else if (!strcmp(k, "--reps")) reps = atoi(v);
        else if (!strcmp(k, "--backend")) be_name = v;
        else if (!strcmp(k, "--precision")) precision = v;
        else {
            fprintf(stderr, "usage: bench_sr_speed [--batch N] [--patch S] [--threads T] [--iters I] [--tile P] "
                            "[--reps R] [--backend NAME] [--precision P] [--profile]\n");
            return 2;
        }
    }
    if (batch < 1 || patch < 1 || iters < 1 || tile < 1 || reps < 1) {
        fprintf(stderr, "bench_sr_speed: --batch, --patch, --iters, --tile and --reps must be positive\n");
        return 2;
    }
    const Backend *be = backend_pick(be_name, threads, precision);
    if (!be) return 2;
    SrConfig cfg;
    sr_defaults(&cfg);
    const int s = cfg.scale, HP = patch * s;
    Rng rng;
    rng_seed(&rng, 1);

    // training steps
    Net *net = sr_net(be, &cfg, patch, patch);
    sr_init(net, &rng);
    Optim opt = optim_adam(1e-3, 0.9, 0.99);
    net_set_batch(net, batch);
    const size_t nl = (size_t)batch * 3 * patch * patch, nh = (size_t)batch * 3 * HP * HP;
    float *lr_h = fk_malloc(nl * sizeof(float)), *hr_h = fk_malloc(nh * sizeof(float));
    fill_uniform(lr_h, nl, &rng), fill_uniform(hr_h, nh, &rng);
    float *lr_d = be->alloc(nl), *hr_d = be->alloc(nh), *dout = be->alloc(nh), *loss = be->alloc(1);
    double t_train = 0;
    float l = 0;
    for (int it = 0; it <= iters; it++) {
        const double t0 = fk_seconds();
        be->upload(lr_d, lr_h, nl);
        be->upload(hr_d, hr_h, nh);
        net_zero_grads(net);
        const float *y = net_forward(net, lr_d, batch);
        be->l1_loss_forward(loss, y, hr_d, nh);
        be->zero(dout, nh);
        be->l1_loss_backward(dout, y, hr_d, nh);
        net_backward(net, dout, NULL, 1);
        optim_step(&opt, net);
        be->download(&l, loss, 1);  // the device has finished
        if (it > 0) t_train += fk_seconds() - t0;
        if (it == 0 && profile) net_profile(net);  // from the first timed step
    }
    const double sec_step = t_train / iters;
    if (profile) {
        const double layers = print_profile(net, "SR", iters, sec_step);
        printf("profile net=- layer=other kind=- shape=- ms=%.2f gflop=0 gflops=0 share=%.1f%%\n",
               1e3 * (sec_step - layers), 100 * (sec_step - layers) / sec_step);
        free(net->prof);
        net->prof = NULL;
    }
    double first, rest;
    conv_macs(net, &first, &rest);
    const double gflop = 2.0 * batch * (2 * first + 3 * rest) / 1e9;

    // upscaling: one tile with its margins
    const int m = cfg.nconv + 2, T = tile + 2 * m;
    Net *up = sr_net(be, &cfg, T, T);
    be->copy(up->params, net->params, net->n_params);
    net_set_batch(up, 1);
    const size_t nt = (size_t)3 * T * T;
    float *t_h = fk_malloc(nt * sizeof(float)), *t_d = be->alloc(nt);
    fill_uniform(t_h, nt, &rng);
    be->upload(t_d, t_h, nt);
    const float *out = net_forward(up, t_d, 1);  // warm-up
    be->download(&l, out, 1);
    const double t0 = fk_seconds();
    for (int r = 0; r < reps; r++) out = net_forward(up, t_d, 1);
    be->download(&l, out, 1);
    const double mpx = (double)reps * (tile * s) * (tile * s) / 1e6 / (fk_seconds() - t0);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fakeit-sr backend=%s precision=%s batch=%d patch=%d threads=%d sec_per_step=%.4f steps_per_s=%.2f "
           "upscale_mpx_per_s=%.2f gflop_per_step=%.2f gflops=%.1f peak_rss_mb=%.0f\n",
           be->name, precision ? precision : "fp32", batch, patch, threads, sec_step, 1.0 / sec_step, mpx, gflop,
           gflop / sec_step, ru.ru_maxrss / 1024.0);
    be->free(lr_d), be->free(hr_d), be->free(dout), be->free(loss), be->free(t_d);
    free(lr_h), free(hr_h), free(t_h);
    net_free(up), net_free(net);
    return 0;
}
