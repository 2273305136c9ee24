// test_backends.c: every backend against the reference, op by op and network
// by network, on random inputs over many shapes.
//
// Inputs are made on the host in plain NCHW, given to each backend in its own
// layout (to_native) and read back plain (to_plain), so a backend with a
// blocked layout is checked through the same door Net uses. Gradient outputs
// start from random values, so the accumulation rule (+=) is checked too.
//
// The measure is the normalised error ||got - ref|| / ||ref|| (Euclidean
// norms over a tensor). For one op it must not exceed 1e-6, widened by
// sqrt(L / 1024) for ops whose outputs sum L > 1024 products: both sides
// accumulate in fp32 in different orders, and that rounding grows with the
// square root of the length (measured: 2.3e-6 at L = 8192).
// Whole networks are held to 1e-3: a ReLU input within rounding of zero flips
// one term of a gradient (measured 5.8e-4 on one random draw, 64x64 DCGAN),
// so there the op tests carry the precision and the network tests catch
// wiring and layout mistakes, which give errors near 1.
// Then, per fast backend: the same thread count gives the same bits run to
// run, and 1 and 2 threads agree within the network tolerance.
//
// usage: test_backends [BACKEND]   (default: every backend but ref)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "gan/augment.h"
#include "nn/dcgan.h"
#include "nn/net.h"
#include "ops/ops.h"
#include "util/rng.h"
#include "util/util.h"
#include "testlib.h"

#define TOL 1e-6
#define NET_TOL 1e-3
// Gradients of a whole network: the two backends' forwards differ in the last
// bits, and where a pre-activation lies that close to 0 a ReLU / LeakyReLU
// gate opens in one and not the other, passing one gradient element or not.
// Over 16 input draws a 64 px DCGAN's gradients differed by ~3e-6 (no gate
// flipped) or by 2e-3 to 7e-3 (some did: one flip among ~250k elements is
// ~2e-3). A LeakyReLU slope 10% off on the cpu backend moves the first
// layer's gradient by 2e-2, and a wiring or layout bug by far more.
#define NET_GRAD_TOL 1e-2

static const Backend *ref = &backend_ref, *be;
static Rng rng;
static double worst;  // largest normalised error of an op, relative to its tolerance
static double tol = TOL;  // the tolerance of the op under test
static double fixed_tol;   // when not 0, the convolution tests' tolerance (bf16) ...
static double fixed_worst; // ... and the largest error seen under it

static float *host_rand(size_t n, float lo) {
    float *h = fk_malloc((n ? n : 1) * sizeof(float));
    rng_fill_normal(&rng, h, n, 0.0f, 1.0f);
    if (lo > 0)  // positive values (variances)
        for (size_t i = 0; i < n; i++) h[i] = lo + fabsf(h[i]);
    return h;
}

// A tensor (N, C, H, W) in backend b's memory and layout; a flat vector is (n, 1, 1, 1).
static float *dev_from(const Backend *b, const float *host, int N, int C, int H, int W) {
    const size_t n = (size_t)N * C * H * W;
    float *d = b->alloc(n);
    if (!b->blocked) {
        b->upload(d, host, n);
        return d;
    }
    float *tmp = b->alloc(n);
    b->upload(tmp, host, n);
    b->to_native(d, tmp, N, C, H, W, 0);
    b->free(tmp);
    return d;
}

static float *host_from(const Backend *b, const float *dev, int N, int C, int H, int W) {
    const size_t n = (size_t)N * C * H * W;
    float *h = fk_malloc((n ? n : 1) * sizeof(float));
    if (!b->blocked) {
        b->download(h, dev, n);
        return h;
    }
    float *tmp = b->alloc(n);
    b->to_plain(tmp, dev, N, C, H, W, 0);
    b->download(h, tmp, n);
    b->free(tmp);
    return h;
}

// ||got - want|| / ||want|| (Euclidean norms over the whole tensor).
static double norm_err(const float *got, const float *want, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) || isnan(want[i]) || isinf(got[i]) || isinf(want[i])) return INFINITY;
        double e = (double)got[i] - want[i];
        d += e * e;
        m += (double)want[i] * want[i];
    }
    return m > 0 ? sqrt(d / m) : sqrt(d);
}

// Compares tensor (N, C, H, W) of the fast backend with the reference's.
static void same(const char *what, const float *dref, const float *dfast, int N, int C, int H, int W) {
    const size_t n = (size_t)N * C * H * W;
    float *a = host_from(ref, dref, N, C, H, W), *b = host_from(be, dfast, N, C, H, W);
    double e = norm_err(b, a, n);
    if (tol == TOL && e > worst) worst = e;
    if (fixed_tol && e > fixed_worst) fixed_worst = e;
    tl_check(e <= tol, "[%s] %-58s n=%-8zu normalised error %.2e (limit %.1e)", be->name, what, n, e, tol);
    free(a), free(b);
}

// One tensor on both backends from the same host values.
typedef struct {
    float *r, *f;
    int N, C, H, W;
} Pair;

static Pair pair(int N, int C, int H, int W, float lo) {
    float *h = host_rand((size_t)N * C * H * W, lo);
    Pair p = {dev_from(ref, h, N, C, H, W), dev_from(be, h, N, C, H, W), N, C, H, W};
    free(h);
    return p;
}

static void check_pair(const char *what, Pair p) { same(what, p.r, p.f, p.N, p.C, p.H, p.W); }

// The same bits as the reference (ops the cpu backend computes in the
// reference's order).
static void check_bits(const char *what, Pair p) {
    const size_t n = (size_t)p.N * p.C * p.H * p.W;
    float *a = host_from(ref, p.r, p.N, p.C, p.H, p.W), *b = host_from(be, p.f, p.N, p.C, p.H, p.W);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    tl_check(bad == 0, "[%s] %-58s n=%-8zu %zu values not bit for bit the reference's", be->name, what, n, bad);
    free(a), free(b);
}

static void drop(Pair p) { ref->free(p.r), be->free(p.f); }

// The backend's copy filled with NaN, the reference's with zeros: an op that
// writes its output (acc 0) must not read what was there.
static void poison(Pair p) {
    const size_t n = (size_t)p.N * p.C * p.H * p.W;
    float *h = fk_malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) h[i] = NAN;
    be->upload(p.f, h, n);
    ref->zero(p.r, n);
    free(h);
}

// ---------------------------------------------------------------------------
// convolutions: N C H W OC K S P bias

static const int conv_cases[][9] = {
    {4, 3, 64, 64, 64, 4, 2, 1, 0},    // DCGAN critic, first layer
    {4, 64, 32, 32, 128, 4, 2, 1, 0},  // DCGAN critic pyramid
    {2, 256, 8, 8, 512, 4, 2, 1, 0},
    {4, 512, 4, 4, 1, 4, 1, 0, 0},     // DCGAN critic, last layer
    {3, 48, 3, 3, 5, 3, 2, 0, 1},      // a kernel over the whole input: 5 outputs, bias, stride 2
    {3, 64, 16, 16, 64, 3, 1, 1, 1},   // extra layers / super-resolution body
    {2, 3, 24, 24, 64, 9, 1, 4, 1},    // super-resolution head
    {2, 64, 12, 12, 3, 9, 1, 4, 1},    // super-resolution tail
    {3, 20, 9, 7, 24, 3, 2, 1, 1},     // channels not a multiple of 16, odd sizes
    {2, 16, 11, 11, 32, 5, 3, 2, 1},   // stride 3, sizes that do not divide
    {5, 32, 1, 1, 48, 1, 1, 0, 1},     // one pixel
    {2, 48, 6, 6, 16, 2, 2, 0, 0},
    // 4x4 stride 2 with 64k input channels (the CPU backend's own kernel for
    // the input gradient): odd widths, a one-pixel-wide output, 48 outputs
    {3, 64, 10, 18, 48, 4, 2, 1, 1},
    {2, 128, 4, 2, 32, 4, 2, 1, 0},
    {2, 64, 6, 14, 16, 4, 2, 1, 0},
    // its forward and input gradient in tiles of 8 output pixels: 2 x 4,
    // 4 x 2 and 1 x 8 tiles, with bias (and activation), 16 input channels
    // (the forward only), two 8-wide tiles in a row
    {2, 32, 8, 4, 64, 4, 2, 1, 1},
    {2, 32, 16, 8, 32, 4, 2, 1, 0},
    {2, 16, 6, 32, 32, 4, 2, 1, 1},
    // its input gradient with an image on the input side: one channel,
    // rows of 8 pixels and a remainder
    {2, 1, 12, 20, 32, 4, 2, 1, 1},
    // its bf16 weight gradient (pairs of samples): an odd batch, an odd
    // height, 32 input channels, 80 outputs (not a multiple of its 6)
    {3, 32, 6, 12, 80, 4, 2, 1, 1},
    // stride 1 above the 2^25 multiply-adds under which the CPU backend's
    // rule keeps oneDNN's primitives: its input gradient as the forward of
    // the flipped weights, padding K - 1 - P from 2 down to 0
    {2, 64, 24, 24, 64, 3, 1, 1, 1},
    {3, 32, 24, 20, 32, 5, 1, 2, 0},
    {4, 32, 30, 26, 48, 3, 1, 0, 1},
    {6, 48, 20, 22, 32, 3, 1, 2, 1},
};

static const int convt_cases[][9] = {
    {4, 100, 1, 1, 512, 4, 1, 0, 0},   // DCGAN generator, first layer
    {4, 512, 4, 4, 256, 4, 2, 1, 0},   // DCGAN generator pyramid
    {4, 128, 16, 16, 64, 4, 2, 1, 0},
    {4, 64, 32, 32, 3, 4, 2, 1, 0},    // DCGAN generator, last layer
    {3, 64, 8, 8, 64, 3, 1, 1, 1},     // extra layers
    {2, 20, 5, 7, 12, 3, 2, 1, 1},     // odd channels and sizes
    {2, 32, 6, 6, 16, 5, 3, 2, 1},
    {5, 16, 1, 1, 32, 1, 1, 0, 1},
    {3, 48, 5, 9, 64, 4, 2, 1, 1},     // the transposed side of the kernel above, odd sizes, bias
    {2, 80, 3, 6, 32, 4, 2, 1, 1},     // and of its bf16 weight gradient
    {2, 32, 4, 8, 64, 4, 2, 1, 1},     // and of its tiles (forward and input gradient swapped), bias
    {2, 64, 2, 4, 32, 4, 2, 1, 0},
    {2, 32, 5, 9, 2, 4, 2, 1, 1},      // and of the image-side input gradient: 2 channels, bias
};

// The matrix-product path's input gradient by pixel classes (a kernel a
// multiple of its stride, gemm.c): odd sizes whose classes differ in size,
// padding 0 (a last row and column no tap reaches) and 2, stride 3, and a
// transposed convolution's forward; run after the cases above, whose random
// draws they leave as they were. transposed, then N C H W OC K S P bias
static const int class_cases[][10] = {
    {0, 2, 32, 7, 9, 32, 4, 2, 1, 1},
    {0, 2, 16, 9, 8, 16, 4, 2, 0, 1},
    {0, 2, 16, 8, 7, 24, 6, 3, 2, 0},
    {1, 2, 24, 3, 5, 16, 6, 3, 1, 1},
};

static void test_conv(int transposed, const int *a) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], OC = a[4], K = a[5], S = a[6], P = a[7], bias = a[8];
    const int OH = transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
    const int OW = transposed ? convt_out_size(W, K, S, P) : conv_out_size(W, K, S, P);
    const char *kind = transposed ? "convt" : "conv";
    char what[160];
    // longest sum: over input taps (forward), output taps (input gradient),
    // or the batch and image (weight gradient)
    const double L = fmax(fmax((double)C * K * K, (double)OC * K * K), (double)N * (transposed ? H * W : OH * OW));
    tol = fixed_tol ? fixed_tol : TOL * fmax(1.0, sqrt(L / 1024));
    Pair x = pair(N, C, H, W, 0), w = pair(C * OC * K * K, 1, 1, 1, 0);  // parameters are flat, plain
    Pair b = pair(OC, 1, 1, 1, 0), y = pair(N, OC, OH, OW, 0), dy = pair(N, OC, OH, OW, 0);
    Pair dx = pair(N, C, H, W, 0), dw = pair(C * OC * K * K, 1, 1, 1, 0);
    Pair db = pair(OC, 1, 1, 1, 0);
    void (*fwd_r)(float *, const float *, const float *, const float *, int, int, int, int, int, int, int, int) =
        transposed ? ref->convt2d_forward : ref->conv2d_forward;
    void (*fwd_f)(float *, const float *, const float *, const float *, int, int, int, int, int, int, int, int) =
        transposed ? be->convt2d_forward : be->conv2d_forward;
    void (*bwd_r)(float *, float *, float *, const float *, const float *, const float *, int, int, int, int, int,
                  int, int, int, int) = transposed ? ref->convt2d_backward : ref->conv2d_backward;
    void (*bwd_f)(float *, float *, float *, const float *, const float *, const float *, int, int, int, int, int,
                  int, int, int, int) = transposed ? be->convt2d_backward : be->conv2d_backward;

    fwd_r(y.r, x.r, w.r, bias ? b.r : NULL, N, C, H, W, OC, K, S, P);
    fwd_f(y.f, x.f, w.f, bias ? b.f : NULL, N, C, H, W, OC, K, S, P);
    snprintf(what, sizeof what, "%s%s %dx%dx%dx%d -> %d k%d s%d p%d%s forward", fixed_tol ? "bf16 " : "", kind, N, C, H, W, OC, K, S, P,
             bias ? " bias" : "");
    check_pair(what, y);
    // the convolution with its activation fused (ReLU, LeakyReLU), where the
    // backend has it: the reference's convolution, then its activation
    // (its buffer's random start is drawn from a copy of the generator, so the
    // cases after this one see the same inputs as without the check)
    if (!transposed && be->conv2d_act_forward) {
        const size_t ny = (size_t)N * OC * OH * OW;
        const Rng kept = rng;
        Pair a = pair(N, OC, OH, OW, 0);
        rng = kept;
        for (int k = 0; k < 2; k++) {
            const float slope = k ? 0.2f : 0.0f;
            if (k)
                ref->lrelu_forward(a.r, y.r, ny, slope);
            else
                ref->relu_forward(a.r, y.r, ny);
            be->conv2d_act_forward(a.f, x.f, w.f, bias ? b.f : NULL, N, C, H, W, OC, K, S, P, slope);
            snprintf(what, sizeof what, "%s%s %dx%dx%dx%d -> %d k%d s%d p%d%s forward with %s", fixed_tol ? "bf16 " : "",
                     kind, N, C, H, W, OC, K, S, P, bias ? " bias" : "", k ? "LeakyReLU 0.2" : "ReLU");
            check_pair(what, a);
        }
        drop(a);
    }

    bwd_r(dx.r, dw.r, bias ? db.r : NULL, dy.r, x.r, w.r, N, C, H, W, OC, K, S, P, 1);
    bwd_f(dx.f, dw.f, bias ? db.f : NULL, dy.f, x.f, w.f, N, C, H, W, OC, K, S, P, 1);
    snprintf(what, sizeof what, "%s %dx%dx%dx%d -> %d k%d s%d p%d: dx +=", kind, N, C, H, W, OC, K, S, P);
    check_pair(what, dx);
    snprintf(what, sizeof what, "%s %dx%dx%dx%d -> %d k%d s%d p%d: dw +=", kind, N, C, H, W, OC, K, S, P);
    check_pair(what, dw);
    if (bias) {
        snprintf(what, sizeof what, "%s %dx%dx%dx%d -> %d k%d s%d p%d: db +=", kind, N, C, H, W, OC, K, S, P);
        check_pair(what, db);
    }
    // NULL gradients are left alone: input gradient only, then weight gradient only
    bwd_r(dx.r, NULL, NULL, dy.r, x.r, w.r, N, C, H, W, OC, K, S, P, 1);
    bwd_f(dx.f, NULL, NULL, dy.f, x.f, w.f, N, C, H, W, OC, K, S, P, 1);
    bwd_r(NULL, dw.r, NULL, dy.r, x.r, w.r, N, C, H, W, OC, K, S, P, 1);
    bwd_f(NULL, dw.f, NULL, dy.f, x.f, w.f, N, C, H, W, OC, K, S, P, 1);
    snprintf(what, sizeof what, "%s %dx%dx%dx%d -> %d: dx alone, dw alone, db untouched", kind, N, C, H, W, OC);
    check_pair(what, dx);
    check_pair(what, dw);
    check_pair(what, db);
    // the input gradient written (acc 0) over NaNs, as Net's first writer does
    poison(dx);
    bwd_r(dx.r, NULL, NULL, dy.r, x.r, w.r, N, C, H, W, OC, K, S, P, 0);
    bwd_f(dx.f, NULL, NULL, dy.f, x.f, w.f, N, C, H, W, OC, K, S, P, 0);
    snprintf(what, sizeof what, "%s %dx%dx%dx%d -> %d k%d s%d p%d: dx = (over NaN)", kind, N, C, H, W, OC, K, S, P);
    check_pair(what, dx);
    drop(x), drop(w), drop(b), drop(y), drop(dy), drop(dx), drop(dw), drop(db);
    tol = TOL;
}

// ---------------------------------------------------------------------------
// normalisation: N C H W

static const int norm_cases[][4] = {
    {64, 64, 32, 32}, {64, 512, 4, 4}, {5, 48, 7, 3}, {4, 3, 8, 8}, {3, 20, 5, 5}, {6, 32, 1, 1},
};

static void test_batchnorm(const int *a) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], HW = H * W;
    char what[160];
    Pair x = pair(N, C, H, W, 0), g = pair(C, 1, 1, 1, 0), b = pair(C, 1, 1, 1, 0), y = pair(N, C, H, W, 0);
    Pair rm = pair(C, 1, 1, 1, 0), rv = pair(C, 1, 1, 1, 0.5f), sm = pair(C, 1, 1, 1, 0), sr = pair(C, 1, 1, 1, 0);
    Pair dy = pair(N, C, H, W, 0), dx = pair(N, C, H, W, 0), dg = pair(C, 1, 1, 1, 0), db = pair(C, 1, 1, 1, 0);
    ref->batchnorm_forward_train(y.r, sm.r, sr.r, rm.r, rv.r, x.r, g.r, b.r, N, C, HW, 1e-5f, 0.1f);
    be->batchnorm_forward_train(y.f, sm.f, sr.f, rm.f, rv.f, x.f, g.f, b.f, N, C, HW, 1e-5f, 0.1f);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d train forward", N, C, H, W);
    check_pair(what, y);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d saved mean, rstd", N, C, H, W);
    check_pair(what, sm), check_pair(what, sr);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d running mean, var", N, C, H, W);
    check_pair(what, rm), check_pair(what, rv);
    ref->batchnorm_backward_train(dx.r, dg.r, db.r, dy.r, x.r, sm.r, sr.r, g.r, N, C, HW);
    be->batchnorm_backward_train(dx.f, dg.f, db.f, dy.f, x.f, sm.f, sr.f, g.f, N, C, HW);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d train backward dx, dgamma, dbeta +=", N, C, H, W);
    check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
    ref->batchnorm_forward_eval(y.r, x.r, g.r, b.r, rm.r, rv.r, N, C, HW, 1e-5f);
    be->batchnorm_forward_eval(y.f, x.f, g.f, b.f, rm.f, rv.f, N, C, HW, 1e-5f);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d eval forward", N, C, H, W);
    check_pair(what, y);
    ref->batchnorm_backward_eval(dx.r, dg.r, db.r, dy.r, x.r, g.r, rm.r, rv.r, N, C, HW, 1e-5f);
    be->batchnorm_backward_eval(dx.f, dg.f, db.f, dy.f, x.f, g.f, rm.f, rv.f, N, C, HW, 1e-5f);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d eval backward dx, dgamma, dbeta +=", N, C, H, W);
    check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
    ref->batchnorm_backward_train(NULL, NULL, db.r, dy.r, x.r, sm.r, sr.r, g.r, N, C, HW);
    be->batchnorm_backward_train(NULL, NULL, db.f, dy.f, x.f, sm.f, sr.f, g.f, N, C, HW);
    snprintf(what, sizeof what, "batchnorm %dx%dx%dx%d dbeta alone", N, C, H, W);
    check_pair(what, db);
    drop(x), drop(g), drop(b), drop(y), drop(rm), drop(rv), drop(sm), drop(sr);
    drop(dy), drop(dx), drop(dg), drop(db);
}

// The fused batch norm and activation (Backend.batchnorm_act_*, where the
// backend has them), ReLU and LeakyReLU 0.2, against the reference's batch
// norm followed by its activation: the training forward and its statistics,
// the backward adding into dx (acc 1) and writing it over NaNs (acc 0), in
// training and in evaluation mode (the forward then batch norm with the
// running statistics and the activation, as Net runs it).
static void test_batchnorm_act(const int *a) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], HW = H * W;
    const size_t n = (size_t)N * C * HW;
    char what[160];
    for (int k = 0; k < 2; k++) {
        const float slope = k ? 0.2f : 0.0f;
        const char *act = k ? "LeakyReLU" : "ReLU";
        Pair x = pair(N, C, H, W, 0), g = pair(C, 1, 1, 1, 0), b = pair(C, 1, 1, 1, 0), y = pair(N, C, H, W, 0);
        Pair rm = pair(C, 1, 1, 1, 0), rv = pair(C, 1, 1, 1, 0.5f), sm = pair(C, 1, 1, 1, 0), sr = pair(C, 1, 1, 1, 0);
        Pair dy = pair(N, C, H, W, 0), dx = pair(N, C, H, W, 0), dg = pair(C, 1, 1, 1, 0), db = pair(C, 1, 1, 1, 0);
        float *pre = ref->alloc(n), *dpre = ref->alloc(n);
        ref->batchnorm_forward_train(pre, sm.r, sr.r, rm.r, rv.r, x.r, g.r, b.r, N, C, HW, 1e-5f, 0.1f);
        ref->lrelu_forward(y.r, pre, n, slope);
        be->batchnorm_act_forward_train(y.f, sm.f, sr.f, rm.f, rv.f, x.f, g.f, b.f, N, C, HW, 1e-5f, 0.1f, slope);
        snprintf(what, sizeof what, "batchnorm+%s %dx%dx%dx%d train forward, stats", act, N, C, H, W);
        check_pair(what, y), check_pair(what, sm), check_pair(what, sr), check_pair(what, rm), check_pair(what, rv);
        for (int acc = 1; acc >= 0; acc--) {
            if (!acc) poison(dx);
            ref->lrelu_backward(dpre, dy.r, pre, n, slope, 0);
            ref->batchnorm_backward_train(dx.r, dg.r, db.r, dpre, x.r, sm.r, sr.r, g.r, N, C, HW);
            be->batchnorm_act_backward(dx.f, dg.f, db.f, dy.f, y.f, x.f, sm.f, sr.f, g.f, N, C, HW, 1e-5f, slope, 1,
                                       acc);
            snprintf(what, sizeof what, "batchnorm+%s %dx%dx%dx%d train backward dx %s", act, N, C, H, W,
                     acc ? "+=" : "= (over NaN)");
            check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
        }
        ref->batchnorm_forward_eval(pre, x.r, g.r, b.r, rm.r, rv.r, N, C, HW, 1e-5f);
        ref->lrelu_forward(y.r, pre, n, slope);
        be->batchnorm_forward_eval(y.f, x.f, g.f, b.f, rm.f, rv.f, N, C, HW, 1e-5f);
        be->lrelu_forward(y.f, y.f, n, slope);
        poison(dx);
        ref->lrelu_backward(dpre, dy.r, pre, n, slope, 0);
        ref->batchnorm_backward_eval(dx.r, dg.r, db.r, dpre, x.r, g.r, rm.r, rv.r, N, C, HW, 1e-5f);
        be->batchnorm_act_backward(dx.f, dg.f, db.f, dy.f, y.f, x.f, rm.f, rv.f, g.f, N, C, HW, 1e-5f, slope, 0, 0);
        snprintf(what, sizeof what, "batchnorm+%s %dx%dx%dx%d eval backward dx = (over NaN)", act, N, C, H, W);
        check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
        ref->free(pre), ref->free(dpre);
        drop(x), drop(g), drop(b), drop(y), drop(rm), drop(rv), drop(sm), drop(sr);
        drop(dy), drop(dx), drop(dg), drop(db);
    }
}

// Synchronised batch norm: the batch cut in two parts (the first `n1`
// samples, possibly none, and the rest), each part's sums added as the
// processes' all-reduce adds them, each part normalised and sent back with
// the whole batch's statistics; against the reference's batch norm on the
// whole batch (and its ReLU / LeakyReLU when `act`). Every part must hold the
// same running statistics. Also run with be = ref (the reference's own split).
static void test_batchnorm_split(const int *a, int n1, int act) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], HW = H * W;
    const size_t per = (size_t)C * HW, n = (size_t)N * per;
    const float slope = 0.2f;
    char what[160], tag[64];
    snprintf(tag, sizeof tag, "%dx%dx%dx%d split %d+%d%s", N, C, H, W, n1, N - n1, act ? " +lrelu" : "");
    Pair x = pair(N, C, H, W, 0), g = pair(C, 1, 1, 1, 0), b = pair(C, 1, 1, 1, 0), y = pair(N, C, H, W, 0);
    Pair rm = pair(C, 1, 1, 1, 0), rv = pair(C, 1, 1, 1, 0.5f), sm = pair(C, 1, 1, 1, 0), sr = pair(C, 1, 1, 1, 0);
    Pair rm2 = pair(C, 1, 1, 1, 0), rv2 = pair(C, 1, 1, 1, 0);  // the second part's copies
    be->copy(rm2.f, rm.f, (size_t)C), be->copy(rv2.f, rv.f, (size_t)C);
    Pair dy = pair(N, C, H, W, 0), dx = pair(N, C, H, W, 0), dg = pair(C, 1, 1, 1, 0), db = pair(C, 1, 1, 1, 0);
    Pair pre = pair(N, C, H, W, 0), dpre = pair(N, C, H, W, 0);
    ref->zero(dpre.r, n);
    // the reference on the whole batch
    ref->batchnorm_forward_train(act ? pre.r : y.r, sm.r, sr.r, rm.r, rv.r, x.r, g.r, b.r, N, C, HW, 1e-5f, 0.1f);
    if (act) ref->lrelu_forward(y.r, pre.r, n, slope);
    if (act) ref->lrelu_backward(dpre.r, dy.r, pre.r, n, slope, 1);
    ref->batchnorm_backward_train(dx.r, dg.r, db.r, act ? dpre.r : dy.r, x.r, sm.r, sr.r, g.r, N, C, HW);
    // the two parts on the backend, their sums added on the host
    const int part_n[2] = {n1, N - n1};
    const size_t off[2] = {0, (size_t)n1 * per};
    double *st[2] = {(double *)be->alloc((size_t)4 * C), (double *)be->alloc((size_t)4 * C)};
    double *h0 = fk_malloc((size_t)4 * C * sizeof(double)), *h1 = h0 + 2 * C;
    const double M = (double)N * HW;
#define SUM_PARTS()                                                                 \
    do {                                                                            \
        be->download((float *)h0, (float *)st[0], (size_t)4 * C);                   \
        be->download((float *)h1, (float *)st[1], (size_t)4 * C);                   \
        for (int c = 0; c < 2 * C; c++) h0[c] += h1[c];                             \
        be->upload((float *)st[0], (const float *)h0, (size_t)4 * C);               \
    } while (0)
    for (int p = 0; p < 2; p++) be->batchnorm_stats(st[p], x.f + off[p], part_n[p], C, HW);
    SUM_PARTS();
    for (int p = 0; p < 2; p++)
        be->batchnorm_forward_stats(y.f + off[p], sm.f, sr.f, p ? rm2.f : rm.f, p ? rv2.f : rv.f, x.f + off[p], g.f,
                                    b.f, st[0], M, part_n[p], C, HW, 1e-5f, 0.1f, act, slope);
    snprintf(what, sizeof what, "batchnorm %s forward", tag);
    check_pair(what, y);
    snprintf(what, sizeof what, "batchnorm %s saved mean, rstd", tag);
    check_pair(what, sm), check_pair(what, sr);
    snprintf(what, sizeof what, "batchnorm %s running mean, var", tag);
    check_pair(what, rm), check_pair(what, rv);
    float *r1 = host_from(be, rm.f, C, 1, 1, 1), *r2 = host_from(be, rm2.f, C, 1, 1, 1);
    float *v1 = host_from(be, rv.f, C, 1, 1, 1), *v2 = host_from(be, rv2.f, C, 1, 1, 1);
    tl_check(!memcmp(r1, r2, (size_t)C * sizeof(float)) && !memcmp(v1, v2, (size_t)C * sizeof(float)),
             "[%s] batchnorm %s: both parts hold the same running statistics, bit for bit", be->name, tag);
    free(r1), free(r2), free(v1), free(v2);
    for (int p = 0; p < 2; p++)
        be->batchnorm_backward_stats(st[p], dg.f, db.f, dy.f + off[p], act ? y.f + off[p] : NULL, slope,
                                     x.f + off[p], sm.f, sr.f, part_n[p], C, HW);
    SUM_PARTS();
#undef SUM_PARTS
    for (int p = 0; p < 2; p++)
        be->batchnorm_backward_apply(dx.f + off[p], dy.f + off[p], act ? y.f + off[p] : NULL, slope, x.f + off[p],
                                     sm.f, sr.f, g.f, st[0], M, part_n[p], C, HW);
    snprintf(what, sizeof what, "batchnorm %s backward dx, dgamma, dbeta +=", tag);
    check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
    be->free((float *)st[0]), be->free((float *)st[1]);
    free(h0);
    drop(x), drop(g), drop(b), drop(y), drop(rm), drop(rv), drop(sm), drop(sr), drop(rm2), drop(rv2);
    drop(dy), drop(dx), drop(dg), drop(db), drop(pre), drop(dpre);
}

static void test_layernorm(const int *a) {
    const int N = a[0] > 8 ? 8 : a[0], C = a[1], H = a[2], W = a[3], HW = H * W;
    char what[160];
    Pair x = pair(N, C, H, W, 0), g = pair(C, 1, 1, 1, 0), b = pair(C, 1, 1, 1, 0), y = pair(N, C, H, W, 0);
    Pair sv = pair(2 * N, 1, 1, 1, 0), dy = pair(N, C, H, W, 0), dx = pair(N, C, H, W, 0);
    Pair dg = pair(C, 1, 1, 1, 0), db = pair(C, 1, 1, 1, 0);
    ref->layernorm_forward(y.r, sv.r, sv.r + N, x.r, g.r, b.r, N, C, HW, 1e-5f);
    be->layernorm_forward(y.f, sv.f, sv.f + N, x.f, g.f, b.f, N, C, HW, 1e-5f);
    snprintf(what, sizeof what, "layernorm %dx%dx%dx%d forward, saved statistics", N, C, H, W);
    check_pair(what, y), check_pair(what, sv);
    ref->layernorm_backward(dx.r, dg.r, db.r, dy.r, x.r, sv.r, sv.r + N, g.r, N, C, HW);
    be->layernorm_backward(dx.f, dg.f, db.f, dy.f, x.f, sv.f, sv.f + N, g.f, N, C, HW);
    snprintf(what, sizeof what, "layernorm %dx%dx%dx%d backward dx, dgamma, dbeta +=", N, C, H, W);
    check_pair(what, dx), check_pair(what, dg), check_pair(what, db);
    drop(x), drop(g), drop(b), drop(y), drop(sv), drop(dy), drop(dx), drop(dg), drop(db);
}

static void test_prelu(const int *a) {
    const int N = a[0] > 8 ? 8 : a[0], C = a[1], H = a[2], W = a[3], HW = H * W;
    char what[160];
    Pair x = pair(N, C, H, W, 0), s = pair(C, 1, 1, 1, 0), y = pair(N, C, H, W, 0);
    Pair dy = pair(N, C, H, W, 0), dx = pair(N, C, H, W, 0), ds = pair(C, 1, 1, 1, 0);
    ref->prelu_forward(y.r, x.r, s.r, N, C, HW);
    be->prelu_forward(y.f, x.f, s.f, N, C, HW);
    snprintf(what, sizeof what, "prelu %dx%dx%dx%d forward", N, C, H, W);
    check_pair(what, y);
    ref->prelu_backward(dx.r, ds.r, dy.r, x.r, s.r, N, C, HW);
    be->prelu_backward(dx.f, ds.f, dy.f, x.f, s.f, N, C, HW);
    snprintf(what, sizeof what, "prelu %dx%dx%dx%d backward dx, da +=", N, C, H, W);
    check_pair(what, dx), check_pair(what, ds);
    if (!strcmp(be->name, "cpu")) {  // the same operations in the reference's order
        snprintf(what, sizeof what, "prelu %dx%dx%dx%d forward, backward: the reference's bits", N, C, H, W);
        check_bits(what, y), check_bits(what, dx), check_bits(what, ds);
        be->prelu_backward(NULL, ds.f, dy.f, x.f, s.f, N, C, HW);  // each output alone
        be->prelu_backward(dx.f, NULL, dy.f, x.f, s.f, N, C, HW);
        ref->prelu_backward(dx.r, ds.r, dy.r, x.r, s.r, N, C, HW);
        snprintf(what, sizeof what, "prelu %dx%dx%dx%d backward dx alone, da alone", N, C, H, W);
        check_bits(what, dx), check_bits(what, ds);
    }
    drop(x), drop(s), drop(y), drop(dy), drop(dx), drop(ds);
}

// ---------------------------------------------------------------------------
// resampling: N C(out) H W r

static const int resample_cases[][5] = {{2, 16, 8, 8, 2}, {2, 3, 5, 7, 2}, {3, 16, 4, 6, 3}, {2, 4, 6, 6, 2},
                                        {2, 3, 6, 5, 4}, {1, 16, 3, 5, 4}, {2, 16, 1, 1, 2}};

static void test_resample(const int *a) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], r = a[4];
    char what[160];
    // pixel shuffle (N, C r^2, H, W) -> (N, C, H r, W r)
    Pair x = pair(N, C * r * r, H, W, 0), y = pair(N, C, H * r, W * r, 0);
    Pair dy = pair(N, C, H * r, W * r, 0), dx = pair(N, C * r * r, H, W, 0);
    ref->pixel_shuffle_forward(y.r, x.r, N, C, H, W, r);
    be->pixel_shuffle_forward(y.f, x.f, N, C, H, W, r);
    snprintf(what, sizeof what, "pixel shuffle %dx%dx%dx%d r%d forward", N, C * r * r, H, W, r);
    check_pair(what, y);
    ref->pixel_shuffle_backward(dx.r, dy.r, N, C, H, W, r);
    be->pixel_shuffle_backward(dx.f, dy.f, N, C, H, W, r);
    snprintf(what, sizeof what, "pixel shuffle %dx%dx%dx%d r%d backward +=", N, C * r * r, H, W, r);
    check_pair(what, dx);
    if (!strcmp(be->name, "cpu")) {  // values moved (added) once, between the layouts
        snprintf(what, sizeof what, "pixel shuffle %dx%dx%dx%d r%d: the reference's bits", N, C * r * r, H, W, r);
        check_bits(what, y), check_bits(what, dx);
    }
    drop(x), drop(y), drop(dy), drop(dx);
    // nearest and bicubic upsampling (N, C, H, W) -> (N, C, H r, W r)
    for (int bicubic = 0; bicubic < 2; bicubic++) {
        typedef void (*Up)(float *, const float *, int, int, int, int, int);
        const Up fr = bicubic ? ref->upsample_bicubic_forward : ref->upsample_nearest_forward,
                 ff = bicubic ? be->upsample_bicubic_forward : be->upsample_nearest_forward,
                 br = bicubic ? ref->upsample_bicubic_backward : ref->upsample_nearest_backward,
                 bf = bicubic ? be->upsample_bicubic_backward : be->upsample_nearest_backward;
        const char *kind = bicubic ? "bicubic" : "nearest";
        x = pair(N, C, H, W, 0), y = pair(N, C, H * r, W * r, 0);
        dy = pair(N, C, H * r, W * r, 0), dx = pair(N, C, H, W, 0);
        fr(y.r, x.r, N, C, H, W, r), ff(y.f, x.f, N, C, H, W, r);
        snprintf(what, sizeof what, "%s upsample %dx%dx%dx%d x%d forward", kind, N, C, H, W, r);
        check_pair(what, y);
        br(dx.r, dy.r, N, C, H, W, r), bf(dx.f, dy.f, N, C, H, W, r);
        snprintf(what, sizeof what, "%s upsample %dx%dx%dx%d x%d backward +=", kind, N, C, H, W, r);
        check_pair(what, dx);
        drop(x), drop(y), drop(dy), drop(dx);
    }
}

// ---------------------------------------------------------------------------
// differentiable augmentation: plain NCHW images (the network's edges), the
// parameter rows from the trainer's draws with the edge rows first

static void test_augment(int N, int C, int H, int W) {
    char what[160];
    const size_t n = (size_t)N * C * H * W;
    float *q = fk_malloc((size_t)N * AUG_PARAMS * sizeof(float));
    augment_draw(&rng, AUGMENT_ALL, q, N, H, W);
    const float edges[3][AUG_PARAMS] = {{0, 1, 1, 0, 0, 0, 0, 0},
                                        {0.3f, 0.2f, 1.4f, (float)(W / 8 + 1), (float)-(H / 8 + 1), -2, -1, (float)(H / 2)},
                                        {-0.4f, 1.9f, 0.6f, (float)-(W / 8 + 1), 1, (float)(W - 2), (float)(H - 1), 3}};
    for (int i = 0; i < N && i < 3; i++) memcpy(q + i * AUG_PARAMS, edges[i], sizeof edges[i]);
    Pair p = {dev_from(ref, q, N * AUG_PARAMS, 1, 1, 1), dev_from(be, q, N * AUG_PARAMS, 1, 1, 1), N * AUG_PARAMS, 1, 1, 1};
    Pair x = pair((int)n, 1, 1, 1, 0), y = pair((int)n, 1, 1, 1, 0), dy = pair((int)n, 1, 1, 1, 0), dx = pair((int)n, 1, 1, 1, 0);
    ref->augment_forward(y.r, x.r, p.r, N, C, H, W), be->augment_forward(y.f, x.f, p.f, N, C, H, W);
    snprintf(what, sizeof what, "augment %dx%dx%dx%d forward", N, C, H, W);
    check_pair(what, y);
    ref->augment_backward(dx.r, dy.r, p.r, N, C, H, W), be->augment_backward(dx.f, dy.f, p.f, N, C, H, W);
    snprintf(what, sizeof what, "augment %dx%dx%dx%d backward +=", N, C, H, W);
    check_pair(what, dx);
    drop(p), drop(x), drop(y), drop(dy), drop(dx);
    free(q);
}

// ---------------------------------------------------------------------------
// flat ops: element-wise, linear, optimisers, clipping

static void test_flat(size_t n) {
    char what[160];
    const int N = (int)n;
    Pair x = pair(N, 1, 1, 1, 0), x2 = pair(N, 1, 1, 1, 0), y = pair(N, 1, 1, 1, 0);
    Pair dy = pair(N, 1, 1, 1, 0), dx = pair(N, 1, 1, 1, 0), dx2 = pair(N, 1, 1, 1, 0);
#define FLAT(label, CALL_R, CALL_F, OUT)          \
    CALL_R;                                       \
    CALL_F;                                       \
    snprintf(what, sizeof what, "%s n=%zu", label, n); \
    check_pair(what, OUT);
    FLAT("relu forward", ref->relu_forward(y.r, x.r, n), be->relu_forward(y.f, x.f, n), y)
    FLAT("relu backward +=", ref->relu_backward(dx.r, dy.r, x.r, n), be->relu_backward(dx.f, dy.f, x.f, n), dx)
    FLAT("leaky relu forward", ref->lrelu_forward(y.r, x.r, n, 0.2f), be->lrelu_forward(y.f, x.f, n, 0.2f), y)
    FLAT("leaky relu backward +=", ref->lrelu_backward(dx.r, dy.r, x.r, n, 0.2f, 1),
         be->lrelu_backward(dx.f, dy.f, x.f, n, 0.2f, 1), dx)
    poison(dx);
    FLAT("leaky relu backward = (over NaN)", ref->lrelu_backward(dx.r, dy.r, x.r, n, 0.2f, 0),
         be->lrelu_backward(dx.f, dy.f, x.f, n, 0.2f, 0), dx)
    FLAT("tanh forward", ref->tanh_forward(y.r, x.r, n), be->tanh_forward(y.f, x.f, n), y)
    FLAT("tanh backward +=", ref->tanh_backward(dx.r, dy.r, y.r, n), be->tanh_backward(dx.f, dy.f, y.f, n), dx)
    FLAT("add forward", ref->add_forward(y.r, x.r, x2.r, n), be->add_forward(y.f, x.f, x2.f, n), y)
    ref->add_backward(dx.r, dx2.r, dy.r, n);
    be->add_backward(dx.f, dx2.f, dy.f, n);
    snprintf(what, sizeof what, "add backward += (both inputs) n=%zu", n);
    check_pair(what, dx), check_pair(what, dx2);
    // optimisers: parameters p start at zero, so they hold exactly the sum of
    // the updates and the comparison weighs the updates themselves; gradient
    // dy, square average v (> 0), first moment dx2
    Pair v = pair(N, 1, 1, 1, 0.0001f);
    Pair p = {ref->alloc(n), be->alloc(n), N, 1, 1, 1};
    for (int t = 1; t <= 3; t++) {
        ref->rmsprop_step(p.r, v.r, dy.r, n, 5e-5, 0.99, 1e-8);
        be->rmsprop_step(p.f, v.f, dy.f, n, 5e-5, 0.99, 1e-8);
    }
    snprintf(what, sizeof what, "rmsprop, 3 steps: parameters, square average n=%zu", n);
    check_pair(what, p), check_pair(what, v);
    ref->zero(p.r, n), be->zero(p.f, n);
    for (int t = 1; t <= 3; t++) {
        ref->adam_step(p.r, dx2.r, v.r, dy.r, n, 2e-4, 0.5, 0.999, 1e-8, t);
        be->adam_step(p.f, dx2.f, v.f, dy.f, n, 2e-4, 0.5, 0.999, 1e-8, t);
    }
    snprintf(what, sizeof what, "adam, 3 steps: parameters, moments n=%zu", n);
    check_pair(what, p), check_pair(what, dx2), check_pair(what, v);
    drop(p);
    FLAT("clip N(0, 1) values to [-0.5, 0.5]", ref->clip_weights(x.r, n, 0.5f), be->clip_weights(x.f, n, 0.5f), x)
#undef FLAT
    drop(x), drop(x2), drop(y), drop(dy), drop(dx), drop(dx2), drop(v);
}

// Losses, the batch mean and the training loop's data path: scalar losses
// as one-element tensors, gradients accumulated onto random values.
static void test_losses(int N, int D) {
    char what[160];
    const size_t n = (size_t)N * D;
    Pair x = pair(N, D, 1, 1, 0), t = pair(N, D, 1, 1, 0), dx = pair(N, D, 1, 1, 0), loss = pair(1, 1, 1, 1, 0);
    Pair s = pair(N, 1, 1, 1, 0), ds = pair(N, 1, 1, 1, 0), m = pair(D, 1, 1, 1, 0), dm = pair(D, 1, 1, 1, 0);
#define LOSS(label, CALL_R, CALL_F, OUT)                   \
    CALL_R;                                                \
    CALL_F;                                                \
    snprintf(what, sizeof what, "%s (%dx%d)", label, N, D); \
    check_pair(what, OUT);
    LOSS("wgan loss forward, sign -1", ref->wgan_loss_forward(loss.r, s.r, N, -1.0f),
         be->wgan_loss_forward(loss.f, s.f, N, -1.0f), loss)
    LOSS("wgan loss backward +=", ref->wgan_loss_backward(ds.r, N, 1.0f), be->wgan_loss_backward(ds.f, N, 1.0f), ds)
    LOSS("gradient penalty", ref->grad_penalty(loss.r, dx.r, x.r, N, D, 10.0f),
         be->grad_penalty(loss.f, dx.f, x.f, N, D, 10.0f), loss)
    check_pair("gradient penalty: its input gradient +=", dx);
    LOSS("l1 loss forward", ref->l1_loss_forward(loss.r, x.r, t.r, n), be->l1_loss_forward(loss.f, x.f, t.f, n), loss)
    LOSS("l1 loss backward +=", ref->l1_loss_backward(dx.r, x.r, t.r, n), be->l1_loss_backward(dx.f, x.f, t.f, n), dx)
    ref->copy(t.r, x.r, n / 2), be->copy(t.f, x.f, n / 2);  // ties: zero gradient there
    LOSS("l1 loss backward +=, half the targets equal", ref->l1_loss_backward(dx.r, x.r, t.r, n),
         be->l1_loss_backward(dx.f, x.f, t.f, n), dx)
    if (!strcmp(be->name, "cpu")) check_bits("l1 loss backward: the reference's bits", dx);
    LOSS("mse loss forward", ref->mse_loss_forward(loss.r, x.r, t.r, n), be->mse_loss_forward(loss.f, x.f, t.f, n),
         loss)
    LOSS("mse loss backward +=", ref->mse_loss_backward(dx.r, x.r, t.r, n), be->mse_loss_backward(dx.f, x.f, t.f, n),
         dx)
    LOSS("batch mean forward", ref->mean_batch_forward(m.r, x.r, N, D), be->mean_batch_forward(m.f, x.f, N, D), m)
    LOSS("batch mean backward +=", ref->mean_batch_backward(dx.r, dm.r, N, D), be->mean_batch_backward(dx.f, dm.f, N, D),
         dx)
    // the penalty's mix: alpha in [0, 1) per sample
    float *ah = fk_malloc((size_t)N * sizeof(float));
    for (int i = 0; i < N; i++) ah[i] = (float)rng_uniform(&rng);
    Pair a = {dev_from(ref, ah, N, 1, 1, 1), dev_from(be, ah, N, 1, 1, 1), N, 1, 1, 1};
    LOSS("lerp (the penalty's interpolates)", ref->lerp(dx.r, x.r, t.r, a.r, N, D), be->lerp(dx.f, x.f, t.f, a.f, N, D),
         dx)
    // images from bytes: N of 3 stored images, in a shuffled order with a repeat
    const int stored = 3;
    unsigned char *px = fk_malloc((size_t)stored * D);
    for (size_t i = 0; i < (size_t)stored * D; i++) px[i] = (unsigned char)(rng_u64(&rng) & 255);
    unsigned *idx = fk_malloc((size_t)N * sizeof *idx);
    for (int i = 0; i < N; i++) idx[i] = (unsigned)((i * 2 + 1) % stored);
    const size_t pf = ((size_t)stored * D + 3) / 4;
    float *pr = ref->alloc(pf), *pb = be->alloc(pf), *ir = ref->alloc((size_t)N), *ib = be->alloc((size_t)N);
    ref->upload_bytes(pr, px, (size_t)stored * D), be->upload_bytes(pb, px, (size_t)stored * D);
    ref->upload_bytes(ir, idx, (size_t)N * sizeof *idx), be->upload_bytes(ib, idx, (size_t)N * sizeof *idx);
    LOSS("images from bytes",
         ref->images_from_bytes(dx.r, (const unsigned char *)pr, (const unsigned *)ir, N, (size_t)D),
         be->images_from_bytes(dx.f, (const unsigned char *)pb, (const unsigned *)ib, N, (size_t)D), dx)
#undef LOSS
    ref->free(pr), be->free(pb), ref->free(ir), be->free(ib);
    free(px), free(idx), free(ah);
    drop(x), drop(t), drop(dx), drop(loss), drop(s), drop(ds), drop(m), drop(dm), drop(a);
}

static void test_linear(int N, int D, int OD) {
    char what[160];
    Pair x = pair(N, D, 1, 1, 0), w = pair(OD * D, 1, 1, 1, 0), b = pair(OD, 1, 1, 1, 0), y = pair(N, OD, 1, 1, 0);
    Pair dy = pair(N, OD, 1, 1, 0), dx = pair(N, D, 1, 1, 0), dw = pair(OD * D, 1, 1, 1, 0), db = pair(OD, 1, 1, 1, 0);
    ref->linear_forward(y.r, x.r, w.r, b.r, N, D, OD);
    be->linear_forward(y.f, x.f, w.f, b.f, N, D, OD);
    snprintf(what, sizeof what, "linear %dx%d -> %d forward", N, D, OD);
    check_pair(what, y);
    ref->linear_backward(dx.r, dw.r, db.r, dy.r, x.r, w.r, N, D, OD);
    be->linear_backward(dx.f, dw.f, db.f, dy.f, x.f, w.f, N, D, OD);
    snprintf(what, sizeof what, "linear %dx%d -> %d backward dx, dw, db +=", N, D, OD);
    check_pair(what, dx), check_pair(what, dw), check_pair(what, db);
    drop(x), drop(w), drop(b), drop(y), drop(dy), drop(dx), drop(dw), drop(db);
}

// ---------------------------------------------------------------------------
// whole networks: the same weights on both backends, one forward and backward

// Copies every parameter and buffer of `from` (reference) into `to`.
static void copy_weights(Net *to, const Net *from) {
    float *h = fk_malloc((from->n_params + from->n_buffers + 1) * sizeof(float));
    from->be->download(h, from->params, from->n_params);
    to->be->upload(to->params, h, to->n_params);
    from->be->download(h, from->buffers, from->n_buffers);
    to->be->upload(to->buffers, h, to->n_buffers);
    free(h);
}

// Runs forward (batch n of the allocated N) and backward with a random output
// gradient on both nets; compares output, input gradient, parameter gradients
// and buffers.
static void compare_nets(const char *label, Net *nr, Net *nf, int n) {
    char what[160];
    const Dims in = nr->in, out = net_out_dims(nr);
    Pair x = pair(n, in.C, in.H, in.W, 0), dy = pair(n, out.C, out.H, out.W, 0), dx = pair(n, in.C, in.H, in.W, 0);
    // network inputs and outputs are plain on every backend: upload plain
    float *h = host_from(ref, x.r, n, in.C, in.H, in.W);
    be->upload(x.f, h, (size_t)n * in.C * in.H * in.W);
    free(h);
    h = host_from(ref, dy.r, n, out.C, out.H, out.W);
    be->upload(dy.f, h, (size_t)n * out.C * out.H * out.W);
    free(h);
    h = host_from(ref, dx.r, n, in.C, in.H, in.W);
    be->upload(dx.f, h, (size_t)n * in.C * in.H * in.W);
    free(h);
    net_zero_grads(nr), net_zero_grads(nf);
    const float *yr = net_forward(nr, x.r, n), *yf = net_forward(nf, x.f, n);
    const size_t ny = (size_t)n * dims_size(out), nx = (size_t)n * dims_size(in);
    float *a = fk_malloc(ny * sizeof(float)), *b = fk_malloc(ny * sizeof(float));
    ref->download(a, yr, ny), be->download(b, yf, ny);
    tol = NET_TOL;
    double e = norm_err(b, a, ny);
    tl_check(e <= tol, "[%s] %-58s normalised error %.2e", be->name, label, e);
    free(a), free(b);
    tol = NET_GRAD_TOL;
    net_backward(nr, dy.r, dx.r, 1), net_backward(nf, dy.f, dx.f, 1);
    a = fk_malloc(nx * sizeof(float)), b = fk_malloc(nx * sizeof(float));
    ref->download(a, dx.r, nx), be->download(b, dx.f, nx);
    e = norm_err(b, a, nx);
    snprintf(what, sizeof what, "%s: input gradient +=", label);
    tl_check(e <= tol, "[%s] %-58s normalised error %.2e", be->name, what, e);
    free(a), free(b);
    for (int i = 0; i < nr->n_tensors; i++) {
        const NetTensor *t = &nr->tensors[i];
        const size_t k = net_tensor_size(t);
        snprintf(what, sizeof what, "%s: %s %s", label, t->role == NET_PARAM ? "grad" : "buffer", t->name);
        tol = t->role == NET_PARAM ? NET_GRAD_TOL : NET_TOL;  // running statistics: forward only
        if (t->role == NET_PARAM) same(what, nr->grads + t->off, nf->grads + t->off, (int)k, 1, 1, 1);
        else same(what, nr->buffers + t->off, nf->buffers + t->off, (int)k, 1, 1, 1);
    }
    drop(x), drop(dy), drop(dx);
    tol = TOL;
}

static void test_dcgan_nets(int isize, int width, int N, int n) {
    char label[96];
    Rng init;
    rng_seed(&rng, (uint64_t)isize * 1000 + width);  // inputs independent of the op cases before
    Net *gr = dcgan_generator(ref, isize, 100, 3, width, 1, DCGAN_NORM_BATCH);
    Net *gf = dcgan_generator(be, isize, 100, 3, width, 1, DCGAN_NORM_BATCH);
    Net *dr = dcgan_critic(ref, isize, 3, width, 1, DCGAN_NORM_BATCH);
    Net *df = dcgan_critic(be, isize, 3, width, 1, DCGAN_NORM_BATCH);
    rng_seed(&init, 5);
    dcgan_init(gr, &init);
    dcgan_init(dr, &init);
    copy_weights(gf, gr), copy_weights(df, dr);
    net_set_batch(gr, N), net_set_batch(gf, N), net_set_batch(dr, N), net_set_batch(df, N);
    snprintf(label, sizeof label, "DCGAN G %dpx width %d batch %d/%d", isize, width, n, N);
    compare_nets(label, gr, gf, n);
    snprintf(label, sizeof label, "DCGAN D %dpx width %d batch %d/%d", isize, width, n, N);
    compare_nets(label, dr, df, n);
    gr->training = gf->training = 0;
    snprintf(label, sizeof label, "DCGAN G eval mode %dpx width %d batch %d", isize, width, n);
    compare_nets(label, gr, gf, n);
    net_free(gr), net_free(gf), net_free(dr), net_free(df);
}

// Layer norm, PReLU, residual add, pixel shuffle, nearest and bicubic upsampling and a linear
// layer reading a 16-channel image (flattened in PyTorch's order).
static Net *mixed_net(const Backend *b) {
    Net *m = net_create(b, 3, 8, 8);
    int h = net_conv2d(m, NET_INPUT, "head", 32, 3, 1, 1, 1);
    h = net_prelu(m, h, "head_act");
    int r = net_conv2d(m, h, "body", 32, 3, 1, 1, 1);
    r = net_add(m, r, h, "residual");
    int ps = net_conv2d(m, r, "up", 64, 3, 1, 1, 0);
    ps = net_pixel_shuffle(m, ps, "shuffle", 2);  // 16 channels, 16x16
    int u = net_conv2d(m, h, "side", 16, 1, 1, 0, 0);
    u = net_upsample(m, u, "side_up", 2, UPSAMPLE_NEAREST);
    int v = net_conv2d(m, h, "side2", 16, 1, 1, 0, 0);
    v = net_upsample(m, v, "side_up2", 2, UPSAMPLE_BICUBIC);
    int s = net_add(m, ps, u, "sum");
    s = net_add(m, s, v, "sum2");
    s = net_conv2d(m, s, "down", 16, 4, 2, 1, 0);
    s = net_layernorm(m, s, "ln");
    s = net_lrelu(m, s, "act", 0.2f);
    net_linear(m, s, "fc", 5, 1);
    net_finish(m);
    return m;
}

static void test_mixed_net(void) {
    Net *mr = mixed_net(ref), *mf = mixed_net(be);
    float *h = host_rand(mr->n_params, 0);
    for (size_t i = 0; i < mr->n_params; i++) h[i] *= 0.2f;
    ref->upload(mr->params, h, mr->n_params);
    free(h);
    copy_weights(mf, mr);
    net_set_batch(mr, 3), net_set_batch(mf, 3);
    compare_nets("mixed net (PReLU, add, shuffle, upsample, LN, linear)", mr, mf, 3);
    net_free(mr), net_free(mf);
}

// One forward and backward of the DCGAN pair at the given thread count;
// returns the critic's and generator's gradients and the output, on the host.
static float *run_threads(int threads, size_t *len) {
    be->set_threads(threads);
    Rng init;
    rng_seed(&init, 9);
    Net *g = dcgan_generator(be, 32, 100, 3, 64, 0, DCGAN_NORM_BATCH);
    dcgan_init(g, &init);
    net_set_batch(g, 16);
    float *z = host_rand(16 * 100, 0), *dz = be->alloc(16 * 100), *zd = be->alloc(16 * 100);
    be->upload(zd, z, 16 * 100);
    const Dims o = net_out_dims(g);
    const size_t ny = 16 * dims_size(o);
    float *dyh = host_rand(ny, 0), *dy = be->alloc(ny);
    be->upload(dy, dyh, ny);
    const float *y = net_forward(g, zd, 16);
    net_zero_grads(g);
    net_backward(g, dy, dz, 1);
    *len = ny + g->n_params;
    float *out = fk_malloc(*len * sizeof(float));
    be->download(out, y, ny);
    be->download(out + ny, g->grads, g->n_params);
    be->free(dz), be->free(zd), be->free(dy);
    free(z), free(dyh);
    net_free(g);
    return out;
}

// bf16 (a backend that offers it): convolutions read their operands rounded
// to bf16 (7 stored significand bits: relative error up to u = 2^-8 each) and
// sum in fp32. Derived expectation: rounding to nearest leaves an error uniform
// within half a unit in the last place, i.e. a relative rms of u * 0.425 for
// significands spread evenly on a log scale, 1.66e-3 per operand; a product
// carries two, 2.35e-3; over a sum of products with random signs the errors
// add like the values, so the normalised error is that rms, whatever the
// length (the fp32 sum's own rounding, ~1e-6, is far below). Measured: 2.0e-3
// to 2.7e-3. Held to 2u = 7.8e-3, the most one product can be off: an operand
// left unconverted or a wrong layout gives errors near 1.
static void test_bf16(void) {
    if (!be->set_precision) return;
    const char *why = be->set_precision(BACKEND_PRECISION_BF16);
    if (why) {
        tl_skip("[%s] bf16 convolutions against the reference: %s", be->name, why);
        return;
    }
    fixed_tol = 2.0 / 256, fixed_worst = 0;
    for (size_t i = 0; i < sizeof conv_cases / sizeof *conv_cases; i++) test_conv(0, conv_cases[i]);
    for (size_t i = 0; i < sizeof convt_cases / sizeof *convt_cases; i++) test_conv(1, convt_cases[i]);
    for (size_t i = 0; i < sizeof class_cases / sizeof *class_cases; i++)
        test_conv(class_cases[i][0], class_cases[i] + 1);
    be->set_precision(BACKEND_PRECISION_FP32);
    // and bf16 was in effect: fp32 convolutions stay near 1e-6
    tl_check(fixed_worst > 1e-4, "[%s] bf16 really used: worst error %.2e, far above fp32's (~1e-6)", be->name,
             fixed_worst);
    printf("# [%s] bf16: worst normalised error of a convolution %.2e (limit %.1e)\n", be->name, fixed_worst,
           fixed_tol);
    fixed_tol = 0;
}

// Weights in a declared parameter block (Backend.declare_params): a backend
// may keep converted copies of them (the cpu backend's bf16 weights and its
// own kernel's packed ones), so after each
// of the entries that may write such a block the convolutions must give the
// same bits as on an undeclared copy of the same weights, forward and input
// gradient, and again with nothing written in between (the kept copy reused).
// A copy left stale by any writer gives the old weights' results.
static void kept_weights_case(const char *precision, int transposed, const int *a) {
    const int N = a[0], C = a[1], H = a[2], W = a[3], OC = a[4], K = a[5], S = a[6], P = a[7];
    const int OH = transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
    const int OW = transposed ? convt_out_size(W, K, S, P) : conv_out_size(W, K, S, P);
    const size_t nw = (size_t)C * OC * K * K, lead = 5, nb = lead + nw + 3;  // weights inside the block
    void (*fwd)(float *, const float *, const float *, const float *, int, int, int, int, int, int, int, int) =
        transposed ? be->convt2d_forward : be->conv2d_forward;
    void (*bwd)(float *, float *, float *, const float *, const float *, const float *, int, int, int, int, int,
                int, int, int, int) = transposed ? be->convt2d_backward : be->conv2d_backward;
    float *x = host_rand((size_t)N * C * H * W, 0), *dy = host_rand((size_t)N * OC * OH * OW, 0);
    float *dx_ = dev_from(be, x, N, C, H, W), *ddy = dev_from(be, dy, N, OC, OH, OW);
    const size_t ny = (size_t)N * OC * OH * OW, nx = (size_t)N * C * H * W;
    float *block = NULL, *plain = be->alloc(nw), *host = fk_malloc(nb * sizeof(float));
    float *y1 = be->alloc(ny), *y2 = be->alloc(ny), *g1 = be->alloc(nx), *g2 = be->alloc(nx);
    float *grad = be->alloc(nb), *state = be->alloc(2 * nb);
    float *h1 = fk_malloc((ny > nx ? ny : nx) * sizeof(float)), *h2 = fk_malloc((ny > nx ? ny : nx) * sizeof(float));
    const char *writer[] = {"first use", "reuse", "rmsprop_step", "reuse", "adam_step", "clip_weights", "copy",
                            "upload", "upload_bytes", "zero", "upload", "free and a new block"};
    const int n_steps = (int)(sizeof writer / sizeof *writer);
    for (int step = 0; step < n_steps; step++) {
        rng_fill_normal(&rng, host, nb, 0.0f, 0.05f);
        if (step == 0 || step == n_steps - 1) {
            if (block) be->free(block);
            block = be->alloc(nb);
            be->declare_params(block, nb);
            be->upload(block, host, nb);
        } else if (step == 2 || step == 4) {
            be->upload(grad, host, nb);
            if (step == 2) be->rmsprop_step(block, state, grad, nb, 5e-3, 0.99, 1e-8);
            else be->adam_step(block, state, state + nb, grad, nb, 5e-3, 0.5, 0.999, 1e-8, 1);
        } else if (step == 5) {
            be->clip_weights(block, nb, 0.01f);
        } else if (step == 6) {
            be->upload(plain, host, nw);
            be->copy(block + lead, plain, nw);
        } else if (step == 7 || step == 10) {
            be->upload(block + lead + nw / 2, host, nw - nw / 2);  // the weights' second half only
        } else if (step == 8) {
            be->upload_bytes(block + lead, host, nw * sizeof(float) / 3);
        } else if (step == 9) {
            be->zero(block + lead + 1, nw / 2);
        }
        be->download(host, block + lead, nw);
        be->upload(plain, host, nw);
        fwd(y1, dx_, block + lead, NULL, N, C, H, W, OC, K, S, P);
        fwd(y2, dx_, plain, NULL, N, C, H, W, OC, K, S, P);
        be->zero(g1, nx), be->zero(g2, nx);
        bwd(g1, NULL, NULL, ddy, dx_, block + lead, N, C, H, W, OC, K, S, P, 1);
        bwd(g2, NULL, NULL, ddy, dx_, plain, N, C, H, W, OC, K, S, P, 1);
        be->download(h1, y1, ny), be->download(h2, y2, ny);
        int ok = !memcmp(h1, h2, ny * sizeof(float));
        be->download(h1, g1, nx), be->download(h2, g2, nx);
        ok = ok && !memcmp(h1, h2, nx * sizeof(float));
        tl_check(ok, "[%s] %s %s %dx%dx%dx%d -> %d k%d s%d: weights in a declared block after %s: the same bits as an undeclared copy",
                 be->name, precision, transposed ? "convt" : "conv", N, C, H, W, OC, K, S, writer[step]);
    }
    be->free(block), be->free(plain), be->free(y1), be->free(y2), be->free(g1), be->free(g2);
    be->free(grad), be->free(state), be->free(dx_), be->free(ddy);
    free(x), free(dy), free(host), free(h1), free(h2);
}

static void test_kept_weights(void) {
    if (!be->declare_params) return;
    // a 16x16 output (a library convolution on the cpu backend's rule), 4x4
    // outputs (its matrix products), transposed ones of each, and a 64-channel
    // input gradient large enough for its own kernel (which keeps its packed
    // weights in fp32 too)
    static const int cases[][9] = {
        {3, 32, 32, 32, 64, 4, 2, 1, 0}, {3, 64, 8, 8, 128, 4, 2, 1, 0}, {4, 64, 32, 32, 64, 4, 2, 1, 0}};
    static const int tcases[][9] = {{3, 64, 8, 8, 32, 4, 2, 1, 0}, {3, 128, 4, 4, 64, 4, 2, 1, 0}};
    for (int bf16 = 0; bf16 < 2; bf16++) {
        if (bf16 && (!be->set_precision || be->set_precision(BACKEND_PRECISION_BF16))) return;  // test_bf16 says why
        const char *name = bf16 ? "bf16" : "fp32";
        for (int i = 0; i < 3; i++) kept_weights_case(name, 0, cases[i]);
        for (int i = 0; i < 2; i++) kept_weights_case(name, 1, tcases[i]);
    }
    be->set_precision(BACKEND_PRECISION_FP32);
}

// tanh against tanh in double over floats spread across the whole range
// (every 2^12-th bit pattern, and the specials): a backend may use its own
// tanh (the CPU backend's vectorises) within 6 ulp and 4e-7 absolute; the
// reference's libm tanhf is within 2.
static void test_tanh_bound(void) {
    const size_t n = (size_t)1 << 20;
    float *x = fk_malloc(n * sizeof(float)), *y = fk_malloc(n * sizeof(float));
    float *xd = be->alloc(n), *yd = be->alloc(n);
    long worst_ulp = 0;
    double worst_abs = 0, at = 0;
    int specials_ok = 1;
    for (uint64_t start = 0; start < ((uint64_t)1 << 32); start += (uint64_t)n << 12) {
        for (size_t i = 0; i < n; i++) {
            const uint32_t u = (uint32_t)(start + ((uint64_t)i << 12));
            memcpy(&x[i], &u, sizeof u);
        }
        be->upload(xd, x, n);
        be->tanh_forward(yd, xd, n);
        be->download(y, yd, n);
        for (size_t i = 0; i < n; i++) {
            if (x[i] != x[i]) {
                specials_ok &= y[i] != y[i];
                continue;
            }
            const double t = tanh((double)x[i]);
            const float r = (float)t;
            int32_t a, b;
            memcpy(&a, &y[i], sizeof a), memcpy(&b, &r, sizeof b);
            if (a < 0) a = INT32_MIN - a;  // ordered: adjacent floats differ by 1
            if (b < 0) b = INT32_MIN - b;
            const long ulp = labs((long)a - (long)b);
            if (ulp > worst_ulp) worst_ulp = ulp, at = x[i];
            worst_abs = fmax(worst_abs, fabs(y[i] - t));
        }
    }
    const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, 1e-30f, -1e-30f, 20.0f, -20.0f};
    const size_t ns = sizeof sp / sizeof *sp;
    be->upload(xd, sp, ns);
    be->tanh_forward(yd, xd, ns);
    be->download(y, yd, ns);
    for (size_t i = 0; i < ns; i++) specials_ok &= y[i] == (float)tanh((double)sp[i]) && signbit(y[i]) == signbit(sp[i]);
    tl_check(worst_ulp <= 6 && worst_abs <= 4e-7, "[%s] tanh within 6 ulp and 4e-7 of tanh in double: %ld ulp at %g, %.2e",
             be->name, worst_ulp, at, worst_abs);
    tl_check(specials_ok, "[%s] tanh of NaN, +-0, +-inf, tiny and large values", be->name);
    be->free(xd), be->free(yd), free(x), free(y);
}

static void test_threads(void) {
    size_t n1, n2, n3;
    rng_seed(&rng, 77);
    float *a = run_threads(2, &n1);
    rng_seed(&rng, 77);
    float *b = run_threads(2, &n2);
    rng_seed(&rng, 77);
    float *c = run_threads(1, &n3);
    tl_check(n1 == n2 && memcmp(a, b, n1 * sizeof(float)) == 0,
             "[%s] 2 threads twice: the same bits (DCGAN G 32px forward + backward, %zu values)", be->name, n1);
    double e = norm_err(c, a, n1);
    tl_check(e <= NET_TOL, "[%s] 1 thread vs 2 threads: normalised error %.2e", be->name, e);
    free(a), free(b), free(c);
    be->set_threads(2);
}

// usage: test_backends [BACKEND [conv]]: every backend, or one; `conv`
// runs only what goes through the convolutions (their cases, the nets, the
// thread, bf16 and kept-weight checks), for the runs under each forced
// convolution path (make test-unit)
int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    const int conv_only = argc > 2 && !strcmp(argv[2], "conv");
    if (argc > 3 || (argc > 2 && !conv_only)) {
        fprintf(stderr, "usage: test_backends [BACKEND [conv]]\n");
        return 2;
    }
    int tested = 0;
    if (!only || !strcmp(only, "ref")) {  // the reference's split batch norm against its whole-batch one
        be = ref;
        rng_seed(&rng, 1);
        for (size_t i = 0; i < sizeof norm_cases / sizeof *norm_cases; i++)
            for (int act = 0; act < 2; act++) test_batchnorm_split(norm_cases[i], norm_cases[i][0] / 2, act);
        test_batchnorm_split(norm_cases[1], 0, 0);
    }
    for (const Backend *const *b = backend_all(); *b; b++) {
        if (*b == ref || (only && strcmp(only, (*b)->name) != 0)) continue;
        be = *b;
        tested++;
        worst = 0;
        rng_seed(&rng, 1);
        ref->set_threads(2), be->set_threads(2);
        for (size_t i = 0; i < sizeof conv_cases / sizeof *conv_cases; i++) test_conv(0, conv_cases[i]);
        for (size_t i = 0; i < sizeof convt_cases / sizeof *convt_cases; i++) test_conv(1, convt_cases[i]);
        for (size_t i = 0; i < sizeof class_cases / sizeof *class_cases; i++)
            test_conv(class_cases[i][0], class_cases[i] + 1);
        for (size_t i = 0; i < sizeof norm_cases / sizeof *norm_cases && !conv_only; i++) {
            test_batchnorm(norm_cases[i]);
            if (be->batchnorm_act_backward && i > 0) test_batchnorm_act(norm_cases[i]);  // all but the 4M-value case
            test_batchnorm_split(norm_cases[i], norm_cases[i][0] / 3, (int)i % 2);
            if (i == 1) test_batchnorm_split(norm_cases[i], 0, 1);  // a process with no samples
            test_layernorm(norm_cases[i]);
            test_prelu(norm_cases[i]);
        }
        if (!conv_only) {
            for (size_t i = 0; i < sizeof resample_cases / sizeof *resample_cases; i++)
                test_resample(resample_cases[i]);
            test_augment(5, 3, 64, 64);
            test_augment(3, 3, 9, 7);
            test_augment(4, 1, 16, 12);
            test_flat(1000003);
            test_flat(7);
            test_linear(5, 300, 7);
            test_losses(8, 3 * 16 * 16);
            test_losses(3, 5);
        }
        test_dcgan_nets(64, 64, 8, 8);
        test_dcgan_nets(32, 32, 8, 5);  // an epoch's short last batch
        test_mixed_net();
        test_threads();
        if (!conv_only) test_tanh_bound();
        test_bf16();
        test_kept_weights();
        printf("# [%s] worst normalised error of an op held to 1e-6: %.2e\n", be->name, worst);
    }
    for (const Backend *const *b = backend_built(); *b; b++)
        if ((*b)->unavailable && (*b)->unavailable() && (!only || !strcmp(only, (*b)->name)))
            tl_skip("[%s] every op and network against the reference: %s", (*b)->name, (*b)->unavailable());
    if (!only && !tested) printf("# this build has no usable backend but the reference: nothing to compare against it\n");
    if (only && !tested && !tl_skipped) {
        fprintf(stderr, "test_backends: no backend '%s' to test in this build\n", only);
        return 2;
    }
    return tl_summary();
}
