// speed.c: fakeit's side of the training and sampling benchmark.
//
// Trains the WGAN of `fakeit train` (DCGAN pair, RMSprop, clipping) on a .fkd
// data set with D_ITERS critic steps in every generator iteration — the
// steady state, no 100-step phases — drawing real batches round the data set
// without epoch ends, so every iteration does the same work as the PyTorch
// reference loop (bench/torch_wgan.py). The first iteration warms up and is
// not timed. Then times sampling: the generator forward alone, batch 64,
// batch-norm in training mode as `fakeit sample` runs it.
//
// Prints one line:
//   fakeit backend=B size=S batch=N width=W threads=T sec_per_iter=X
//   real_img_per_s=R sample_img_per_s=P gflop_per_iter=F gflops=G peak_rss_mb=M
// where gflop_per_iter counts the multiply-adds (x2) of every convolution the
// iteration runs, forward and backward, and peak_rss_mb is this process's
// peak resident memory.
//
// With --profile, first one line per layer of each network and one for the
// rest, per timed iteration:
//   profile net=G|D layer=I kind=K shape=CxHxW->CxHxW ms=T gflop=F gflops=R share=P%
// (forward and backward together; `kind` names a fused batch norm "bn+act";
// net=G|D layer=opt is the optimiser step with clipping, layer=zero the
// zeroing of parameter gradients (an output gradient is zeroed by the layer
// that first writes it, and counted there), net=- layer=other everything else: losses, data,
// noise, the copy of the fake batch).
//
// usage: bench_speed DATA.fkd [--batch N] [--width W] [--threads T] [--iters I]
//                    [--backend NAME] [--precision P] [--sample-reps R] [--profile]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backend/backend.h"
#include "data/dataset.h"
#include "util/util.h"
#include "gan/wgan.h"
#include "profile.h"

#define D_ITERS 5

static double now_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv) {
    fk_tune_malloc();  // as the fakeit program runs (fk_main)
    if (argc < 2) {
        fprintf(stderr, "usage: bench_speed DATA.fkd [--batch N] [--width W] [--threads T] [--iters I] "
                        "[--backend NAME] [--precision P] [--sample-reps R] [--profile]\n");
        return 2;
    }
    int batch = 64, width = 64, threads = 2, iters = 2, reps = 10, profile = 0;
    const char *be_name = NULL, *precision = NULL;
    for (int i = 2; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(k, "--profile")) {
            profile = 1, i--;
            continue;
        }
        if (!strcmp(k, "--batch")) batch = atoi(v);
        else if (!strcmp(k, "--width")) width = atoi(v);
        else if (!strcmp(k, "--threads")) threads = atoi(v);
        else if (!strcmp(k, "--iters")) iters = atoi(v);
        else if (!strcmp(k, "--sample-reps")) reps = atoi(v);
        else if (!strcmp(k, "--backend")) be_name = v;
        else if (!strcmp(k, "--precision")) precision = v;
        else {
            fprintf(stderr, "bench_speed: unknown option %s\n", k);
            return 2;
        }
    }
    const Backend *be = backend_pick(be_name, threads, precision);
    if (!be) return 2;
    Dataset ds;
    if (ds_open(&ds, argv[1]) != 0) return 1;
    WganConfig cfg;
    wgan_defaults(&cfg);
    cfg.isize = (int)ds.size, cfg.nc = (int)ds.channels, cfg.batch = batch, cfg.ngf = cfg.ndf = width;
    Wgan w;
    if (wgan_init(&w, &cfg, be, &ds) != 0) return 1;
    const size_t img = ds_image_bytes(&ds);
    long next = 0;
    unsigned *idx = fk_malloc((size_t)batch * sizeof *idx);

    double t_train = 0;
    for (int it = 0; it <= iters; it++) {
        const double t0 = fk_seconds();
        for (int j = 0; j < D_ITERS; j++) {
            for (int b = 0; b < batch; b++, next++) idx[b] = (unsigned)(next % ds.count);
            if (w.index) be->upload_bytes(w.index, idx, (size_t)batch * sizeof *idx);  // as the training loop does
            be->images_from_bytes(w.real, w.pixels, w.index ? w.index : idx, batch, img);
            wgan_noise(&w, w.host_z, batch);
            be->upload(w.z, w.host_z, (size_t)batch * cfg.nz);
            wgan_critic_step(&w, w.real, batch, w.z, NULL);
        }
        wgan_noise(&w, w.host_z, batch);
        be->upload(w.z, w.host_z, (size_t)batch * cfg.nz);
        wgan_generator_step(&w, w.z);  // reads its loss back: the device has finished
        if (it > 0) t_train += fk_seconds() - t0;
        if (it == 0 && profile) net_profile(w.G), net_profile(w.D);  // from the first timed iteration
    }
    const double sec_iter = t_train / iters;
    if (profile) {
        const double layers = print_profile(w.G, "G", iters, sec_iter) + print_profile(w.D, "D", iters, sec_iter);
        printf("profile net=- layer=other kind=- shape=- ms=%.2f gflop=0 gflops=0 share=%.1f%%\n",
               1e3 * (sec_iter - layers), 100 * (sec_iter - layers) / sec_iter);
        free(w.G->prof), free(w.D->prof);
        w.G->prof = w.D->prof = NULL;
    }

    // sampling: generator forward, batch 64
    const int sb = 64;
    net_set_batch(w.G, sb);
    float *z = be->alloc((size_t)sb * cfg.nz), *hz = fk_malloc((size_t)sb * cfg.nz * sizeof(float));
    wgan_noise(&w, hz, sb);
    be->upload(z, hz, (size_t)sb * cfg.nz);
    net_forward(w.G, z, sb);  // warm-up
    float last;
    be->download(&last, z, 1);
    double t0 = fk_seconds();
    const float *out = NULL;
    for (int r = 0; r < reps; r++) out = net_forward(w.G, z, sb);
    be->download(&last, out, 1);  // waits for a device backend to finish
    const double sample_rate = (double)sb * reps / (fk_seconds() - t0);

    double g1, g2, d1, d2;
    conv_macs(w.G, &g1, &g2);
    conv_macs(w.D, &d1, &d2);
    const double G = g1 + g2, D = d1 + d2;
    // critic step: D forward real and fake, D backward (weights, and data below
    // the first layer) twice, G forward; generator step: G and D forward, D
    // backward data everywhere, G backward weights and data below its first layer
    const double macs = batch * (D_ITERS * (2 * D + 2 * (D + d2) + G) + (G + D) + D + (G + g2));
    const double gflop = 2 * macs / 1e9;
    printf("fakeit backend=%s precision=%s size=%d batch=%d width=%d threads=%d sec_per_iter=%.4f it_per_s=%.2f "
           "real_img_per_s=%.1f sample_img_per_s=%.1f gflop_per_iter=%.1f gflops=%.1f peak_rss_mb=%.0f",
           be->name, precision ? precision : "fp32", cfg.isize, batch, width, threads, sec_iter, 1.0 / sec_iter,
           D_ITERS * batch / sec_iter, sample_rate, gflop, gflop / sec_iter, now_rss_mb());
    if (be->peak_bytes) printf(" peak_device_mb=%.0f", be->peak_bytes() / 1048576.0);
    printf("\n");
    be->free(z);
    free(hz), free(idx);
    wgan_free(&w);
    ds_close(&ds);
    return 0;
}
