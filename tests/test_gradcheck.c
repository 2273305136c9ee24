// test_gradcheck.c: finite-difference checks of every op's backward pass.
//
// For each op and shape: random inputs x_k and a random output weighting r
// define the scalar L = sum(out * r), summed in double. The analytic gradient
// dL/dx_k is the op's backward pass with dout = r; the numeric one is the
// central difference (L(x + h) - L(x - h)) / 2h in double. Elements within
// 2h of a kink (ReLU, LeakyReLU, PReLU at 0; L1 where pred = target) are
// skipped. Each case also checks the backward conventions every backend keeps:
// gradients accumulate (a second call adds the same again) and a NULL
// gradient is skipped without changing the others.
//
// usage: test_gradcheck [BACKEND]   (default: every backend of this build)
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "gan/augment.h"
#include "ops/ops.h"
#include "util/rng.h"
#include "util/util.h"
#include "testlib.h"

#define MAXIN 4
#define H_STEP 1e-2  // finite-difference step
#define FD_ATOL 1e-3
#define FD_RTOL 1e-2

typedef struct Case Case;
struct Case {
    char name[96];
    const Backend *be;
    int nin;                 // differentiable inputs
    const char *in_name[MAXIN];
    size_t in_n[MAXIN];
    float *in[MAXIN];        // values (backend memory; host for CPU backends)
    size_t out_n;
    int i[12];               // op's integer arguments
    float f[2];              // op's float arguments
    float *aux[4];           // op state: saved statistics, running statistics, output
    void (*forward)(Case *c, float *out);
    void (*backward)(Case *c, const float *dout, float *d[MAXIN]);  // d[k] NULL: skip
    int (*near_kink)(const Case *c, int k, size_t idx, double h);   // may be NULL
};

static Rng rng;

static void fill_uniform(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)rng_uniform(&rng);
}

static double weighted_sum(const float *out, const float *r, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * r[i];
    return s;
}

// Runs every check of one case. Inputs must be set; this frees them.
static void run_case(Case *c) {
    float *out = fk_calloc(c->out_n, sizeof(float)), *r = fk_calloc(c->out_n, sizeof(float));
    fill_uniform(r, c->out_n, -1.0f, 1.0f);
    float *g[MAXIN], *g2[MAXIN], *gsolo[MAXIN] = {0};
    c->forward(c, out);  // also leaves saved statistics for the backward pass
    for (int k = 0; k < c->nin; k++) {
        g[k] = fk_calloc(c->in_n[k], sizeof(float));
        g2[k] = fk_calloc(c->in_n[k], sizeof(float));
    }
    c->backward(c, r, g);

    // numeric gradient of each input, element by element
    for (int k = 0; k < c->nin; k++) {
        double worst = 0.0, worst_ana = 0.0, worst_num = 0.0;
        size_t bad = 0, checked = 0;
        for (size_t i = 0; i < c->in_n[k]; i++) {
            if (c->near_kink && c->near_kink(c, k, i, H_STEP)) continue;
            const float x0 = c->in[k][i];
            c->in[k][i] = (float)(x0 + H_STEP);
            const double hp = (double)c->in[k][i] - x0;  // the step actually taken in float
            c->forward(c, out);
            const double lp = weighted_sum(out, r, c->out_n);
            c->in[k][i] = (float)(x0 - H_STEP);
            const double hm = x0 - (double)c->in[k][i];
            c->forward(c, out);
            const double lm = weighted_sum(out, r, c->out_n);
            c->in[k][i] = x0;
            const double num = (lp - lm) / (hp + hm), ana = g[k][i];
            const double err = fabs(num - ana), tol = FD_ATOL + FD_RTOL * fabs(ana);
            if (err > tol) bad++;
            if (err / tol > worst) worst = err / tol, worst_ana = ana, worst_num = num;
            checked++;
        }
        tl_check(bad == 0 && checked > 0, "%-44s d/d%-6s %5zu checked, worst |num-ana|/tol %.3f (ana %.6g num %.6g)",
                 c->name, c->in_name[k], checked, worst, worst_ana, worst_num);
    }
    c->forward(c, out);  // restore saved statistics at the unperturbed point

    // accumulation: a second backward into the same buffers doubles them
    for (int k = 0; k < c->nin; k++) memcpy(g2[k], g[k], c->in_n[k] * sizeof(float));
    c->backward(c, r, g2);
    for (int k = 0; k < c->nin; k++) {
        size_t bad = 0;
        for (size_t i = 0; i < c->in_n[k]; i++)
            if (fabsf(g2[k][i] - 2.0f * g[k][i]) > 1e-5f * (1.0f + fabsf(g[k][i]))) bad++;
        tl_check(bad == 0, "%-44s d/d%-6s accumulates (+=)", c->name, c->in_name[k]);
    }
    // NULL gradients: asking for one gradient alone gives the same bits
    for (int k = 0; k < c->nin && c->nin > 1; k++) {
        memset(gsolo, 0, sizeof gsolo);
        gsolo[k] = fk_calloc(c->in_n[k], sizeof(float));
        c->backward(c, r, gsolo);
        tl_check(memcmp(gsolo[k], g[k], c->in_n[k] * sizeof(float)) == 0,
                 "%-44s d/d%-6s alone (others NULL) is identical", c->name, c->in_name[k]);
        free(gsolo[k]);
    }
    for (int k = 0; k < c->nin; k++) free(g[k]), free(g2[k]), free(c->in[k]);
    for (int a = 0; a < 4; a++) free(c->aux[a]);
    free(out);
    free(r);
}

static void add_input(Case *c, const char *name, size_t n, float lo, float hi) {
    c->in_name[c->nin] = name;
    c->in_n[c->nin] = n;
    c->in[c->nin] = fk_calloc(n, sizeof(float));
    fill_uniform(c->in[c->nin], n, lo, hi);
    c->nin++;
}

static int kink_at_zero(const Case *c, int k, size_t idx, double h) {
    return k == 0 && fabs(c->in[0][idx]) < 2 * h;
}

// ---------------------------------------------------------------------------
// convolution and transposed convolution: i = N C H W OC K S P bias

static void conv_fwd(Case *c, float *out) {
    int *a = c->i;
    c->be->conv2d_forward(out, c->in[0], c->in[1], a[8] ? c->in[2] : NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}
static void conv_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    int *a = c->i;
    c->be->conv2d_backward(d[0], d[1], a[8] ? d[2] : NULL, dout, c->in[0], c->in[1], a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], 1);
}
static void convt_fwd(Case *c, float *out) {
    int *a = c->i;
    c->be->convt2d_forward(out, c->in[0], c->in[1], a[8] ? c->in[2] : NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}
static void convt_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    int *a = c->i;
    c->be->convt2d_backward(d[0], d[1], a[8] ? d[2] : NULL, dout, c->in[0], c->in[1], a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], 1);
}

static void check_conv(const Backend *be, int transposed, int N, int C, int H, int W, int OC, int K, int S, int P, int bias) {
    Case c = {.be = be, .i = {N, C, H, W, OC, K, S, P, bias}};
    int OH = transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
    int OW = transposed ? convt_out_size(W, K, S, P) : conv_out_size(W, K, S, P);
    snprintf(c.name, sizeof c.name, "%s N%d C%d %dx%d OC%d K%d S%d P%d%s", transposed ? "convt2d" : "conv2d",
             N, C, H, W, OC, K, S, P, bias ? " bias" : "");
    add_input(&c, "inp", (size_t)N * C * H * W, -1, 1);
    add_input(&c, "w", (size_t)OC * C * K * K, -1, 1);
    if (bias) add_input(&c, "b", (size_t)OC, -1, 1);
    c.out_n = (size_t)N * OC * OH * OW;
    c.forward = transposed ? convt_fwd : conv_fwd;
    c.backward = transposed ? convt_bwd : conv_bwd;
    run_case(&c);
}

// ---------------------------------------------------------------------------
// batch and layer normalisation: i = N C HW; aux = save_mean, save_rstd, running_mean, running_var

static void bn_train_fwd(Case *c, float *out) {
    c->be->batchnorm_forward_train(out, c->aux[0], c->aux[1], c->aux[2], c->aux[3], c->in[0], c->in[1], c->in[2],
                                   c->i[0], c->i[1], c->i[2], 1e-5f, 0.1f);
}
static void bn_train_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    c->be->batchnorm_backward_train(d[0], d[1], d[2], dout, c->in[0], c->aux[0], c->aux[1], c->in[1],
                                    c->i[0], c->i[1], c->i[2]);
}
static void bn_eval_fwd(Case *c, float *out) {
    c->be->batchnorm_forward_eval(out, c->in[0], c->in[1], c->in[2], c->aux[2], c->aux[3], c->i[0], c->i[1], c->i[2], 1e-5f);
}
static void bn_eval_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    c->be->batchnorm_backward_eval(d[0], d[1], d[2], dout, c->in[0], c->in[1], c->aux[2], c->aux[3],
                                   c->i[0], c->i[1], c->i[2], 1e-5f);
}
static void ln_fwd(Case *c, float *out) {
    c->be->layernorm_forward(out, c->aux[0], c->aux[1], c->in[0], c->in[1], c->in[2], c->i[0], c->i[1], c->i[2], 1e-5f);
}
static void ln_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    c->be->layernorm_backward(d[0], d[1], d[2], dout, c->in[0], c->aux[0], c->aux[1], c->in[1], c->i[0], c->i[1], c->i[2]);
}

// layer norm with its tangent map: out = (y, y_t) = (layernorm(x), layernorm_jvp(t));
// the backward pass is layernorm_jvp_backward for x, gamma, beta and
// layernorm_backward of dout_t for t (the tangent is linear in t).
static void lnjvp_fwd(Case *c, float *out) {
    const int N = c->i[0], C = c->i[1], HW = c->i[2];
    c->be->layernorm_forward(out, c->aux[0], c->aux[1], c->in[0], c->in[2], c->in[3], N, C, HW, 1e-5f);
    c->be->layernorm_jvp(out + (size_t)N * C * HW, c->in[1], c->in[0], c->aux[0], c->aux[1], c->in[2], N, C, HW);
}
static void lnjvp_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    const int N = c->i[0], C = c->i[1], HW = c->i[2];
    const float *dt = dout + (size_t)N * C * HW;
    c->be->layernorm_jvp_backward(d[0], d[2], d[3], dout, dt, c->in[0], c->in[1], c->aux[0], c->aux[1], c->in[2],
                                  N, C, HW);
    if (d[1]) c->be->layernorm_backward(d[1], NULL, NULL, dt, c->in[0], c->aux[0], c->aux[1], c->in[2], N, C, HW);
}

static void check_layernorm_jvp(const Backend *be, int N, int C, int HW) {
    Case c = {.be = be, .i = {N, C, HW}};
    snprintf(c.name, sizeof c.name, "layernorm+jvp N%d C%d HW%d", N, C, HW);
    add_input(&c, "inp", (size_t)N * C * HW, -2, 2);
    add_input(&c, "inp_t", (size_t)N * C * HW, -1, 1);
    add_input(&c, "gamma", (size_t)C, 0.5f, 1.5f);
    add_input(&c, "beta", (size_t)C, -0.5f, 0.5f);
    c.aux[0] = fk_calloc((size_t)N, sizeof(float));
    c.aux[1] = fk_calloc((size_t)N, sizeof(float));
    c.out_n = 2 * (size_t)N * C * HW;
    c.forward = lnjvp_fwd, c.backward = lnjvp_bwd;
    run_case(&c);
}

static void check_norm(const Backend *be, const char *kind, int N, int C, int HW) {
    Case c = {.be = be, .i = {N, C, HW}};
    snprintf(c.name, sizeof c.name, "%s N%d C%d HW%d", kind, N, C, HW);
    add_input(&c, "inp", (size_t)N * C * HW, -2, 2);
    add_input(&c, "gamma", (size_t)C, 0.5f, 1.5f);
    add_input(&c, "beta", (size_t)C, -0.5f, 0.5f);
    size_t nstat = (size_t)(N > C ? N : C);
    for (int a = 0; a < 4; a++) c.aux[a] = fk_calloc(nstat, sizeof(float));
    fill_uniform(c.aux[2], (size_t)C, -0.5f, 0.5f);  // running mean
    fill_uniform(c.aux[3], (size_t)C, 0.5f, 2.0f);   // running var
    c.out_n = (size_t)N * C * HW;
    if (!strcmp(kind, "batchnorm-train")) c.forward = bn_train_fwd, c.backward = bn_train_bwd;
    if (!strcmp(kind, "batchnorm-eval")) c.forward = bn_eval_fwd, c.backward = bn_eval_bwd;
    if (!strcmp(kind, "layernorm")) c.forward = ln_fwd, c.backward = ln_bwd;
    run_case(&c);
}

// ---------------------------------------------------------------------------
// activations: i = n (or N C HW for PReLU); f[0] = slope; aux[0] = forward output (tanh)

static void relu_fwd(Case *c, float *out) { c->be->relu_forward(out, c->in[0], (size_t)c->i[0]); }
static void relu_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->relu_backward(d[0], dout, c->in[0], (size_t)c->i[0]);
}
static void lrelu_fwd(Case *c, float *out) { c->be->lrelu_forward(out, c->in[0], (size_t)c->i[0], c->f[0]); }
static void lrelu_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->lrelu_backward(d[0], dout, c->in[0], (size_t)c->i[0], c->f[0], 1);
}
static void tanh_fwd(Case *c, float *out) {
    c->be->tanh_forward(out, c->in[0], (size_t)c->i[0]);
    memcpy(c->aux[0], out, (size_t)c->i[0] * sizeof(float));
}
static void tanh_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->tanh_backward(d[0], dout, c->aux[0], (size_t)c->i[0]);
}
static void prelu_fwd(Case *c, float *out) { c->be->prelu_forward(out, c->in[0], c->in[1], c->i[0], c->i[1], c->i[2]); }
static void prelu_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    c->be->prelu_backward(d[0], d[1], dout, c->in[0], c->in[1], c->i[0], c->i[1], c->i[2]);
}

static void check_activation(const Backend *be, const char *kind, int n) {
    Case c = {.be = be, .i = {n}, .f = {0.2f}, .near_kink = kink_at_zero};
    snprintf(c.name, sizeof c.name, "%s n%d", kind, n);
    add_input(&c, "inp", (size_t)n, -2, 2);
    c.out_n = (size_t)n;
    if (!strcmp(kind, "relu")) c.forward = relu_fwd, c.backward = relu_bwd;
    if (!strcmp(kind, "lrelu")) c.forward = lrelu_fwd, c.backward = lrelu_bwd;
    if (!strcmp(kind, "tanh")) {
        c.forward = tanh_fwd, c.backward = tanh_bwd, c.near_kink = NULL;
        c.aux[0] = fk_calloc((size_t)n, sizeof(float));
    }
    run_case(&c);
}

static void check_prelu(const Backend *be, int N, int C, int HW) {
    Case c = {.be = be, .i = {N, C, HW}, .near_kink = kink_at_zero, .forward = prelu_fwd, .backward = prelu_bwd};
    snprintf(c.name, sizeof c.name, "prelu N%d C%d HW%d", N, C, HW);
    add_input(&c, "inp", (size_t)N * C * HW, -2, 2);
    add_input(&c, "a", (size_t)C, 0.0f, 0.5f);
    c.out_n = (size_t)N * C * HW;
    run_case(&c);
}

// ---------------------------------------------------------------------------
// linear: i = N D OD bias

static void linear_fwd(Case *c, float *out) {
    c->be->linear_forward(out, c->in[0], c->in[1], c->i[3] ? c->in[2] : NULL, c->i[0], c->i[1], c->i[2]);
}
static void linear_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    c->be->linear_backward(d[0], d[1], c->i[3] ? d[2] : NULL, dout, c->in[0], c->in[1], c->i[0], c->i[1], c->i[2]);
}

static void check_linear(const Backend *be, int N, int D, int OD, int bias) {
    Case c = {.be = be, .i = {N, D, OD, bias}, .forward = linear_fwd, .backward = linear_bwd};
    snprintf(c.name, sizeof c.name, "linear N%d D%d OD%d%s", N, D, OD, bias ? " bias" : "");
    add_input(&c, "inp", (size_t)N * D, -1, 1);
    add_input(&c, "w", (size_t)OD * D, -1, 1);
    if (bias) add_input(&c, "b", (size_t)OD, -1, 1);
    c.out_n = (size_t)N * OD;
    run_case(&c);
}

// ---------------------------------------------------------------------------
// resampling, add, batch mean: i = N C H W r

static void shuffle_fwd(Case *c, float *out) { c->be->pixel_shuffle_forward(out, c->in[0], c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]); }
static void shuffle_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->pixel_shuffle_backward(d[0], dout, c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]);
}
static void upsample_fwd(Case *c, float *out) { c->be->upsample_nearest_forward(out, c->in[0], c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]); }
static void upsample_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->upsample_nearest_backward(d[0], dout, c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]);
}

static void bicubic_fwd(Case *c, float *out) { c->be->upsample_bicubic_forward(out, c->in[0], c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]); }
static void bicubic_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->upsample_bicubic_backward(d[0], dout, c->i[0], c->i[1], c->i[2], c->i[3], c->i[4]);
}

enum { SHUFFLE, NEAREST, BICUBIC };

static void check_resample(const Backend *be, int op, int N, int C, int H, int W, int r) {
    static const char *const names[] = {"pixel_shuffle", "upsample_nearest", "upsample_bicubic"};
    Case c = {.be = be, .i = {N, C, H, W, r}};
    snprintf(c.name, sizeof c.name, "%s N%d C%d %dx%d x%d", names[op], N, C, H, W, r);
    add_input(&c, "inp", (size_t)N * C * H * W * (op == SHUFFLE ? r * r : 1), -1, 1);
    c.out_n = (size_t)N * C * H * W * r * r;
    c.forward = op == SHUFFLE ? shuffle_fwd : op == NEAREST ? upsample_fwd : bicubic_fwd;
    c.backward = op == SHUFFLE ? shuffle_bwd : op == NEAREST ? upsample_bwd : bicubic_bwd;
    run_case(&c);
}

// ---------------------------------------------------------------------------
// differentiable augmentation: i = N C H W, aux[0] the parameter rows

static void augment_fwd(Case *c, float *out) {
    c->be->augment_forward(out, c->in[0], c->aux[0], c->i[0], c->i[1], c->i[2], c->i[3]);
}
static void augment_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->augment_backward(d[0], dout, c->aux[0], c->i[0], c->i[1], c->i[2], c->i[3]);
}

// Rows from the trainer's draws with `policy`, the first ones replaced by
// the edges: the identity, the largest shifts both ways with a cutout
// hanging over the top-left and then the bottom-right corner.
static void check_augment(const Backend *be, unsigned policy, int N, int C, int H, int W) {
    Case c = {.be = be, .i = {N, C, H, W}, .forward = augment_fwd, .backward = augment_bwd};
    snprintf(c.name, sizeof c.name, "augment %u N%d C%d %dx%d", policy, N, C, H, W);
    add_input(&c, "inp", (size_t)N * C * H * W, -1, 1);
    c.out_n = (size_t)N * C * H * W;
    float *q = c.aux[0] = fk_calloc((size_t)N * AUG_PARAMS, sizeof(float));
    augment_draw(&rng, policy, q, N, H, W);
    const float edges[3][AUG_PARAMS] = {{0, 1, 1, 0, 0, 0, 0, 0},
                                        {0.3f, 0.2f, 1.4f, (float)(W / 8 + 1), (float)-(H / 8 + 1), -2, -1, (float)(H / 2)},
                                        {-0.4f, 1.9f, 0.6f, (float)-(W / 8 + 1), 1, (float)(W - 2), (float)(H - 1), 3}};
    for (int n = 0; n < N && n < 3 && policy == AUGMENT_ALL; n++) memcpy(q + n * AUG_PARAMS, edges[n], sizeof edges[n]);
    run_case(&c);
}

static void add_fwd(Case *c, float *out) { c->be->add_forward(out, c->in[0], c->in[1], (size_t)c->i[0]); }
static void add_bwd(Case *c, const float *dout, float *d[MAXIN]) { c->be->add_backward(d[0], d[1], dout, (size_t)c->i[0]); }
static void mean_fwd(Case *c, float *out) { c->be->mean_batch_forward(out, c->in[0], c->i[0], c->i[1]); }
static void mean_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    if (d[0]) c->be->mean_batch_backward(d[0], dout, c->i[0], c->i[1]);
}

static void check_add(const Backend *be, int n) {
    Case c = {.be = be, .i = {n}, .forward = add_fwd, .backward = add_bwd, .out_n = (size_t)n};
    snprintf(c.name, sizeof c.name, "add n%d", n);
    add_input(&c, "a", (size_t)n, -1, 1);
    add_input(&c, "b", (size_t)n, -1, 1);
    run_case(&c);
}

static void check_mean_batch(const Backend *be, int N, int D) {
    Case c = {.be = be, .i = {N, D}, .forward = mean_fwd, .backward = mean_bwd, .out_n = (size_t)D};
    snprintf(c.name, sizeof c.name, "mean_batch N%d D%d", N, D);
    add_input(&c, "inp", (size_t)N * D, -1, 1);
    run_case(&c);
}

// ---------------------------------------------------------------------------
// losses: the output is the one loss value; aux[0] = target; f[0] = sign

static void wgan_fwd(Case *c, float *out) { c->be->wgan_loss_forward(out, c->in[0], c->i[0], c->f[0]); }
static void wgan_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    // the loss backward gives dL/dscore for dL = 1; scale by the weighting
    float *tmp = fk_calloc((size_t)c->i[0], sizeof(float));
    c->be->wgan_loss_backward(tmp, c->i[0], c->f[0]);
    for (int n = 0; n < c->i[0]; n++) d[0][n] += dout[0] * tmp[n];
    free(tmp);
}
static void l1_fwd(Case *c, float *out) { c->be->l1_loss_forward(out, c->in[0], c->aux[0], (size_t)c->i[0]); }
static void l1_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    float *tmp = fk_calloc((size_t)c->i[0], sizeof(float));
    c->be->l1_loss_backward(tmp, c->in[0], c->aux[0], (size_t)c->i[0]);
    for (int n = 0; n < c->i[0]; n++) d[0][n] += dout[0] * tmp[n];
    free(tmp);
}
static void mse_fwd(Case *c, float *out) { c->be->mse_loss_forward(out, c->in[0], c->aux[0], (size_t)c->i[0]); }
static void mse_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    float *tmp = fk_calloc((size_t)c->i[0], sizeof(float));
    c->be->mse_loss_backward(tmp, c->in[0], c->aux[0], (size_t)c->i[0]);
    for (int n = 0; n < c->i[0]; n++) d[0][n] += dout[0] * tmp[n];
    free(tmp);
}
static int l1_kink(const Case *c, int k, size_t idx, double h) {
    (void)k;
    return fabs((double)c->in[0][idx] - c->aux[0][idx]) < 2 * h;
}

// WGAN-GP penalty over (N, D) gradients, lambda f[0]
static void gp_fwd(Case *c, float *out) { c->be->grad_penalty(out, NULL, c->in[0], c->i[0], (size_t)c->i[1], c->f[0]); }
static void gp_bwd(Case *c, const float *dout, float *d[MAXIN]) {
    const size_t n = (size_t)c->i[0] * c->i[1];
    float *tmp = fk_calloc(n, sizeof(float)), loss;
    c->be->grad_penalty(&loss, tmp, c->in[0], c->i[0], (size_t)c->i[1], c->f[0]);
    for (size_t k = 0; k < n; k++) d[0][k] += dout[0] * tmp[k];
    free(tmp);
}

static void check_grad_penalty(const Backend *be, int N, int D, float lo, float hi) {
    Case c = {.be = be, .i = {N, D}, .f = {10.0f}, .out_n = 1};
    snprintf(c.name, sizeof c.name, "grad_penalty N%d D%d in [%g, %g]", N, D, lo, hi);
    add_input(&c, "grad", (size_t)N * D, lo, hi);
    c.forward = gp_fwd, c.backward = gp_bwd;
    run_case(&c);
}

static void check_loss(const Backend *be, const char *kind, int n, float sign) {
    Case c = {.be = be, .i = {n}, .f = {sign}, .out_n = 1};
    snprintf(c.name, sizeof c.name, "%s n%d%s", kind, n, !strcmp(kind, "wgan_loss") ? (sign > 0 ? " +1" : " -1") : "");
    add_input(&c, "pred", (size_t)n, -1, 1);
    c.aux[0] = fk_calloc((size_t)n, sizeof(float));
    fill_uniform(c.aux[0], (size_t)n, -1, 1);
    if (!strcmp(kind, "wgan_loss")) c.forward = wgan_fwd, c.backward = wgan_bwd;
    if (!strcmp(kind, "l1_loss")) c.forward = l1_fwd, c.backward = l1_bwd, c.near_kink = l1_kink;
    if (!strcmp(kind, "mse_loss")) c.forward = mse_fwd, c.backward = mse_bwd;
    run_case(&c);
}

// ---------------------------------------------------------------------------

static void check_all(const Backend *be) {
    printf("# backend %s\n", be->name);
    // every kernel/stride/padding fakeit uses (4/2/1, 4/1/0, 3/1/1, 9/1/4),
    // odd sizes, and shapes where the stride does not divide evenly
    check_conv(be, 0, 2, 3, 8, 8, 4, 4, 2, 1, 0);
    check_conv(be, 0, 2, 3, 7, 9, 2, 4, 2, 1, 0);
    check_conv(be, 0, 2, 5, 4, 4, 1, 4, 1, 0, 0);
    check_conv(be, 0, 1, 3, 5, 7, 3, 4, 1, 0, 1);
    check_conv(be, 0, 2, 3, 6, 5, 4, 3, 1, 1, 1);
    check_conv(be, 0, 1, 2, 11, 9, 3, 9, 1, 4, 1);
    check_conv(be, 0, 3, 2, 7, 7, 2, 3, 2, 0, 1);
    check_conv(be, 1, 2, 5, 1, 1, 3, 4, 1, 0, 0);
    check_conv(be, 1, 2, 3, 4, 4, 2, 4, 2, 1, 0);
    check_conv(be, 1, 1, 2, 5, 3, 3, 4, 2, 1, 0);
    check_conv(be, 1, 2, 2, 3, 3, 3, 3, 1, 1, 1);
    check_conv(be, 1, 1, 3, 4, 5, 2, 3, 2, 0, 1);
    check_conv(be, 1, 1, 2, 3, 2, 2, 9, 1, 4, 1);
    check_norm(be, "batchnorm-train", 3, 4, 5);
    check_norm(be, "batchnorm-train", 2, 3, 1);
    check_norm(be, "batchnorm-train", 4, 2, 9);
    check_norm(be, "batchnorm-eval", 3, 4, 5);
    check_norm(be, "batchnorm-eval", 1, 3, 7);
    check_norm(be, "layernorm", 2, 3, 6);
    check_norm(be, "layernorm", 3, 4, 1);
    check_norm(be, "layernorm", 1, 2, 9);
    check_layernorm_jvp(be, 2, 3, 6);
    check_layernorm_jvp(be, 3, 4, 1);
    check_layernorm_jvp(be, 1, 2, 9);
    check_activation(be, "relu", 61);
    check_activation(be, "lrelu", 61);
    check_activation(be, "tanh", 61);
    check_prelu(be, 2, 3, 5);
    check_prelu(be, 1, 4, 7);
    check_linear(be, 3, 7, 4, 1);
    check_linear(be, 2, 5, 3, 0);
    check_linear(be, 1, 9, 1, 1);
    check_resample(be, SHUFFLE, 2, 2, 3, 3, 2);
    check_resample(be, SHUFFLE, 1, 1, 2, 3, 3);
    check_resample(be, NEAREST, 2, 3, 3, 4, 2);
    check_resample(be, NEAREST, 1, 2, 2, 3, 3);
    check_resample(be, BICUBIC, 2, 3, 5, 4, 2);
    check_resample(be, BICUBIC, 1, 2, 2, 3, 4);  // every tap near an edge
    check_resample(be, BICUBIC, 1, 1, 1, 1, 3);  // all taps on one pixel
    check_augment(be, AUGMENT_ALL, 4, 3, 8, 8);  // every policy, the edge rows first
    check_augment(be, AUGMENT_ALL, 3, 3, 9, 7);  // odd sizes, H != W
    check_augment(be, AUGMENT_COLOR, 2, 3, 5, 6);
    check_augment(be, AUGMENT_TRANSLATION | AUGMENT_CUTOUT, 3, 1, 8, 8);  // grey images
    check_augment(be, AUGMENT_ALL, 2, 1, 16, 16);
    check_add(be, 23);
    check_mean_batch(be, 4, 6);
    check_mean_batch(be, 3, 1);
    check_loss(be, "wgan_loss", 5, +1.0f);
    check_loss(be, "wgan_loss", 4, -1.0f);
    check_loss(be, "l1_loss", 31, 0);
    check_loss(be, "mse_loss", 31, 0);
    check_grad_penalty(be, 3, 7, -0.3f, 0.3f);  // norms below 1
    check_grad_penalty(be, 2, 9, -1.0f, 1.0f);  // above 1
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    for (const Backend *const *b = backend_all(); *b; b++) {
        if (only && strcmp(only, (*b)->name) != 0) continue;
        if (!(*b)->host_memory) continue;  // device backends: checked op by op against ref
        rng_seed(&rng, 42);
        check_all(*b);
    }
    return tl_summary();
}
