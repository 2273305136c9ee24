// conv.c: every convolution of the reference configuration, one pass at a
// time: where the convolution time goes, and how close each pass comes to
// the machine's FMA peak.
//
// For each layer of the reference pair (DCGAN, width 64, 64x64, batch 64) and
// the super-resolution net's body (32 -> 32, 3x3, 64x64, batch 16), times the
// forward pass, the input gradient and the weight gradient alone through the
// backend's table (best of --reps after one warm-up), in the backend's own
// layout, and prints one line per pass:
//   conv net=D|G|SR layer=CxH->OCxOH kind=conv|convt pass=fwd|bwd_data|bwd_weights
//        ms=T gflops=R of_peak=P% share=S%
// where share is the pass's part of the iteration's convolution time (each
// pass weighted by how often one generator iteration of the reference
// configuration runs it: 5 critic steps of real + fake batches, one generator
// step; SR rows are not counted). A last line sums them:
//   conv total ms_per_iter=T gflops=R of_peak=P%
// Which library runs each pass follows the backend's rule; FAKEIT_CPU_CONV=
// dnnl or xsmm forces one (`make bench-conv` prints all three side by side).
//
// usage: bench_conv [--threads T] [--precision P] [--reps R] [--peak GFLOPS]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "ops/ops.h"
#include "util/util.h"

typedef struct {
    const char *net;
    int transposed, N, C, H, OC, K, S, P, bias;
    // passes per generator iteration of the reference loop: forward, input
    // gradient, weight gradient (0 for SR: not part of it)
    int per_iter[3];
} Case;

// Critic: 5 steps x (real + fake forward, both backward with weight
// gradients) + the generator step (forward, input gradient only, down to the
// fake images). Generator: the critic steps' fake batches (forward only, 5) +
// its own step (forward, both gradients); its first layer has no input
// gradient. These counts give the per-layer GFLOP of bench_speed --profile.
static const Case cases[] = {
    {"D", 0, 64, 3, 64, 64, 4, 2, 1, 0, {11, 1, 10}},
    {"D", 0, 64, 64, 32, 128, 4, 2, 1, 0, {11, 11, 10}},
    {"D", 0, 64, 128, 16, 256, 4, 2, 1, 0, {11, 11, 10}},
    {"D", 0, 64, 256, 8, 512, 4, 2, 1, 0, {11, 11, 10}},
    {"D", 0, 64, 512, 4, 1, 4, 1, 0, 0, {11, 11, 10}},
    {"G", 1, 64, 100, 1, 512, 4, 1, 0, 0, {6, 0, 1}},
    {"G", 1, 64, 512, 4, 256, 4, 2, 1, 0, {6, 1, 1}},
    {"G", 1, 64, 256, 8, 128, 4, 2, 1, 0, {6, 1, 1}},
    {"G", 1, 64, 128, 16, 64, 4, 2, 1, 0, {6, 1, 1}},
    {"G", 1, 64, 64, 32, 3, 4, 2, 1, 0, {6, 1, 1}},
    {"SR", 0, 16, 32, 64, 32, 3, 1, 1, 1, {0, 0, 0}},
};

static const char *const pass_names[3] = {"fwd", "bwd_data", "bwd_weights"};

int main(int argc, char **argv) {
    int threads = 2, reps = 5;
    double peak = 0;
    const char *precision = "fp32";
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) FK_CHECK(0, "usage: bench_conv [--threads T] [--precision P] [--reps R] [--peak GFLOPS]");
        if (!strcmp(k, "--threads")) threads = atoi(v);
        else if (!strcmp(k, "--reps")) reps = atoi(v);
        else if (!strcmp(k, "--peak")) peak = atof(v);
        else if (!strcmp(k, "--precision")) precision = v;
        else FK_CHECK(0, "bench_conv: unknown option %s", k);
        i++;
    }
    const Backend *be = backend_find("cpu");
    if (!be) be = backend_find("ref");
    be->set_threads(threads);
    if (strcmp(precision, "fp32")) {
        const char *why = be->set_precision ? be->set_precision(!strcmp(precision, "bf16") ? BACKEND_PRECISION_BF16
                                                                                            : BACKEND_PRECISION_FP32)
                                            : "the backend has one precision";
        if (why) {  // a figure that cannot be measured here: said, not an error
            printf("# backend %s, %s: %s\n", be->name, precision, why);
            return 0;
        }
    }
    const char *forced = getenv("FAKEIT_CPU_CONV");
    printf("# backend %s, %s, %d threads, engine %s\n", be->name, precision, threads, forced && *forced ? forced : "rule");
    double total_s = 0, total_flop = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const Case *k = &cases[c];
        const int N = k->N, C = k->C, H = k->H, OC = k->OC, K = k->K, S = k->S, P = k->P;
        const int OH = k->transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
        const size_t nx = (size_t)N * C * H * H, ny = (size_t)N * OC * OH * OH, nw = (size_t)C * OC * K * K;
        float *x = be->alloc(nx), *y = be->alloc(ny), *dx = be->alloc(nx), *dy = be->alloc(ny);
        float *w = be->alloc(nw), *dw = be->alloc(nw), *b = k->bias ? be->alloc(OC) : NULL;
        float *db = k->bias ? be->alloc(OC) : NULL;
        float *host = fk_malloc(sizeof(float) * (nx > ny ? (nx > nw ? nx : nw) : (ny > nw ? ny : nw)));
        for (size_t i = 0; i < nx; i++) host[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        be->upload(x, host, nx);
        for (size_t i = 0; i < ny; i++) host[i] = (float)((i * 40503u) % 997) / 997.0f - 0.5f;
        be->upload(dy, host, ny);
        for (size_t i = 0; i < nw; i++) host[i] = ((float)((i * 7919u) % 1009) / 1009.0f - 0.5f) * 0.05f;
        be->upload(w, host, nw);
        // the weights in a declared block, as Net's: a backend keeps its
        // converted or packed copies of them, which each rewrite below
        // (untimed, as an optimiser step) makes stale, so every timed call
        // pays for one conversion, as a backward pass does in an iteration
        if (be->declare_params) be->declare_params(w, nw);
        const int small = k->transposed ? H : OH;  // the side the kernel slides over
        const double flop = 2.0 * N * C * OC * K * K * small * small;
        for (int pass = 0; pass < 3; pass++) {
            double best = 1e30;
            for (int r = 0; r <= reps; r++) {
                be->upload(w, host, nw);  // host holds w's values (the last upload)
                const double t0 = fk_seconds();
                if (pass == 0)
                    (k->transposed ? be->convt2d_forward : be->conv2d_forward)(y, x, w, b, N, C, H, H, OC, K, S, P);
                else
                    (k->transposed ? be->convt2d_backward : be->conv2d_backward)(
                        pass == 1 ? dx : NULL, pass == 2 ? dw : NULL, pass == 2 ? db : NULL, dy, x, w, N, C, H, H,
                        OC, K, S, P, 0);  // the input gradient written, as Net has it
                const double t = fk_seconds() - t0;
                if (r && t < best) best = t;  // the first run makes the primitives
            }
            const double times = k->per_iter[pass];
            total_s += times * best, total_flop += times * flop;
            printf("conv net=%s layer=%dx%d->%dx%d kind=%s pass=%s ms=%.2f gflops=%.0f of_peak=%.0f%% per_iter=%d\n",
                   k->net, C, H, OC, OH, k->transposed ? "convt" : "conv", pass_names[pass], best * 1e3,
                   flop / best / 1e9, peak > 0 ? 100 * flop / best / 1e9 / peak : 0.0, k->per_iter[pass]);
        }
        be->free(x), be->free(y), be->free(dx), be->free(dy), be->free(w), be->free(dw);
        if (b) be->free(b), be->free(db);
        free(host);
    }
    printf("conv total ms_per_iter=%.0f gflops=%.0f of_peak=%.0f%%\n", total_s * 1e3, total_flop / total_s / 1e9,
           peak > 0 ? 100 * total_flop / total_s / 1e9 / peak : 0.0);
    return 0;
}
