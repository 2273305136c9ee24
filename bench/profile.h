// profile.h: what bench_speed and bench_sr_speed share: the multiply-adds
// of a network's convolutions, and the per-layer profile lines (--profile)
// from Net.prof (net_profile).
#ifndef FAKEIT_BENCH_PROFILE_H
#define FAKEIT_BENCH_PROFILE_H

#include <stdio.h>

#include "nn/net.h"

// Multiply-adds of one sample through every convolution of `net`, split into
// those whose input is the network input (no input gradient is needed there
// unless the caller wants one) and the rest.
static void conv_macs(const Net *net, double *first, double *rest) {
    *first = *rest = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        if (L->kind != LAYER_CONV && L->kind != LAYER_CONVT) continue;
        const Dims small = L->kind == LAYER_CONV ? L->od : L->id;  // the side the kernel slides over
        double m = (double)L->id.C * L->od.C * L->u.conv.K * L->u.conv.K * small.H * small.W;
        *(L->in == NET_INPUT ? first : rest) += m;
    }
}

static const char *const kind_names[] = {"conv", "convt", "bn", "ln", "relu", "lrelu", "tanh", "prelu",
                                         "linear", "shuffle", "upsample", "add"};

// The profile rows of one network over `iters` iterations; returns the seconds they add up to.
static double print_profile(const Net *net, const char *name, int iters, double iter_s) {
    double total = 0;
    for (int i = 0; i <= net->n_layers; i++) {
        const double *p = net->prof + NET_PROF * i;
        const double sec = (p[0] + p[1]) / iters, gf = (p[2] + p[3]) / iters;
        total += sec;
        if (i == net->n_layers) {
            printf("profile net=%s layer=opt kind=- shape=- ms=%.2f gflop=0 gflops=0 share=%.1f%%\n", name,
                   1e3 * p[0] / iters, 100 * p[0] / iters / iter_s);
            printf("profile net=%s layer=zero kind=- shape=- ms=%.2f gflop=0 gflops=0 share=%.1f%%\n", name,
                   1e3 * p[1] / iters, 100 * p[1] / iters / iter_s);
            break;
        }
        const Layer *L = &net->layers[i];
        if (i > 0 && net->layers[i - 1].fused) continue;  // timed with its batch norm
        printf("profile net=%s layer=%d kind=%s shape=%dx%dx%d->%dx%dx%d ms=%.2f gflop=%.2f gflops=%.1f share=%.1f%%\n",
               name, i, L->fused ? "bn+act" : kind_names[L->kind], L->id.C, L->id.H, L->id.W, L->od.C, L->od.H,
               L->od.W, 1e3 * sec, gf, sec > 0 ? gf / sec : 0, 100 * sec / iter_s);
    }
    return total;
}

#endif
