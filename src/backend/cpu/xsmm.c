// xsmm.c: convolutions on LIBXSMM 1.17 (Debian's libxsmm-dev): its
// JIT-generated direct convolutions, run where FAKEIT_CPU_CONV=xsmm asks for
// them (dnnl.c says why the rule never picks them).
//
// Every pass of a convolution or transposed convolution is one of LIBXSMM's
// three kinds on the equivalent convolution (cpu_conv_equivalent, cpu.h):
//   conv   forward = FWD, input gradient = BWD, weight gradient = UPD;
//   convt  forward = BWD, input gradient = FWD, weight gradient = UPD with
//          the transposed op's output gradient as LIBXSMM's input.
// LIBXSMM's activations are (N, C/b, H, W, b) with its own channel block b:
// the largest power of two up to 64 (AVX-512; 32 on AVX2) that divides C, or
// C itself below that. The backend blocks by 16 (8), so activations are
// reordered into and out of LIBXSMM's layout around each pass (gradients
// added on the way out), as weights are into its (OC/b, C/b, K, K, b, b) and
// weight gradients out of it.
//
// A layer is made once per shape and thread count and kept; its scratch and
// the reordered activations live in one arena shared by all layers. Each
// thread's share of the work is fixed by the thread count, so the same
// thread count gives the same bits.
#include <libxsmm.h>
#include <libxsmm_dnn.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

#define XS(call)                                                                                 \
    do {                                                                                         \
        libxsmm_dnn_err_t st_ = (call);                                                          \
        FK_CHECK(st_ == LIBXSMM_DNN_SUCCESS || st_ == LIBXSMM_DNN_WARN_FALLBACK,                 \
                 "LIBXSMM: %s from %s", libxsmm_dnn_get_error(st_), #call);                      \
    } while (0)

// One LIBXSMM convolution layer (the equivalent convolution of a shape).
typedef struct Layer {
    struct Layer *next;
    int key[10];
    int ok;  // 0: LIBXSMM cannot run it (oneDNN does)
    int bi, bo;  // LIBXSMM's channel blocks of its input and output
    libxsmm_dnn_layer *h;
    libxsmm_dnn_tensor *t[6];  // by tensor type index below, their data pointers set per call
    float *filter, *dfilter;   // (OC/bo, C/bi, K, K, bi, bo): weights, weight gradient
    size_t scratch, in_n, out_n;  // bytes of LIBXSMM's scratch; floats of its input and output
} Layer;

enum { T_IN, T_DIN, T_OUT, T_DOUT, T_W, T_DW };
static const libxsmm_dnn_tensor_type tensor_type[6] = {
    LIBXSMM_DNN_REGULAR_INPUT, LIBXSMM_DNN_GRADIENT_INPUT,  LIBXSMM_DNN_REGULAR_OUTPUT,
    LIBXSMM_DNN_GRADIENT_OUTPUT, LIBXSMM_DNN_REGULAR_FILTER, LIBXSMM_DNN_GRADIENT_FILTER};

static Layer *layers;
static char *arena;  // LIBXSMM's scratch, then its input and output activations
static size_t arena_size;

// The layer of the convolution (C -> OC, H x W, K, S, P) at batch N.
static Layer *layer_get(int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int key[10] = {N, C, H, W, OC, K, S, P, omp_get_max_threads(), BLK};
    for (Layer *l = layers; l; l = l->next)
        if (!memcmp(l->key, key, sizeof key)) return l;
    static int init;
    if (!init) libxsmm_init(), init = 1;
    Layer *l = fk_calloc(1, sizeof *l);
    memcpy(l->key, key, sizeof key);
    l->next = layers, layers = l;
    libxsmm_dnn_conv_desc d;
    memset(&d, 0, sizeof d);
    d.N = N, d.C = C, d.H = H, d.W = W, d.K = OC, d.R = K, d.S = K, d.u = S, d.v = S;
    d.pad_h = d.pad_w = P;  // logical padding: the buffers carry none
    d.threads = omp_get_max_threads();
    d.datatype_in = d.datatype_out = LIBXSMM_DNN_DATATYPE_F32;
    d.buffer_format = d.filter_format = LIBXSMM_DNN_TENSOR_FORMAT_LIBXSMM;
    d.algo = LIBXSMM_DNN_CONV_ALGO_DIRECT;
    d.options = LIBXSMM_DNN_CONV_OPTION_OVERWRITE;
    d.fuse_ops = LIBXSMM_DNN_CONV_FUSE_NONE;
    libxsmm_dnn_err_t st;
    l->h = libxsmm_dnn_create_conv_layer(d, &st);
    if (!l->h || (st != LIBXSMM_DNN_SUCCESS && st != LIBXSMM_DNN_WARN_FALLBACK)) {
        if (l->h) libxsmm_dnn_destroy_conv_layer(l->h);
        l->h = NULL;
        return l;  // not ok
    }
    // Its layouts: activations (N, C/b, H, W, b), b a multiple of the
    // backend's block (so one reorder moves whole blocks); filters (OC/bo,
    // C/bi, K, K, bi, bo).
    int ok = 1;
    for (int i = 0; i < 6; i++) {
        libxsmm_dnn_tensor_datalayout *lay = libxsmm_dnn_create_tensor_datalayout(l->h, tensor_type[i], &st);
        if (!lay || st != LIBXSMM_DNN_SUCCESS) {
            ok = 0;
            continue;
        }
        const int b = (int)lay->dim_size[0];
        if (i < T_W) {
            ok &= lay->num_dims == 5 && b % BLK == 0;
            *(i < T_OUT ? &l->bi : &l->bo) = b;
        } else {
            ok &= lay->num_dims == 6 && b == l->bo && (int)lay->dim_size[1] == l->bi;
        }
        ok &= lay->datatype == LIBXSMM_DNN_DATATYPE_F32;
        float dummy[16];
        l->t[i] = libxsmm_dnn_link_tensor(lay, dummy, &st);
        ok &= l->t[i] != NULL && st == LIBXSMM_DNN_SUCCESS;
        if (l->t[i]) XS(libxsmm_dnn_bind_tensor(l->h, l->t[i], tensor_type[i]));
        libxsmm_dnn_destroy_tensor_datalayout(lay);
    }
    if (!ok) return l;
    l->scratch = (libxsmm_dnn_get_scratch_size(l->h, LIBXSMM_DNN_COMPUTE_KIND_ALL, &st) + 63) / 64 * 64;
    if (st != LIBXSMM_DNN_SUCCESS) return l;
    const int OH = conv_out_size(H, K, S, P), OW = conv_out_size(W, K, S, P);
    l->in_n = ((size_t)N * C * H * W + 15) / 16 * 16;
    l->out_n = ((size_t)N * OC * OH * OW + 15) / 16 * 16;
    const size_t wn = (size_t)OC * C * K * K;
    l->filter = cpu_aligned(wn * sizeof(float));
    l->dfilter = cpu_aligned(wn * sizeof(float));
    l->ok = 1;
    return l;
}

// (N, C/b, HW, b) <- (N, C/B, HW, B) (`into`), or the reverse (added when `acc`)
static void relayout(float *lx, float *x, int N, int C, int HW, int b, int into, int acc) {
    const int B = BLK, CB = C / B, Cb = C / b;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            const int c0 = cb * B;
            float *l = lx + (((size_t)n * Cb + c0 / b) * HW) * b + c0 % b;
            float *f = x + ((size_t)n * CB + cb) * HW * B;
            for (int p = 0; p < HW; p++, l += b, f += B)
                for (int j = 0; j < B; j++) {
                    if (into)
                        l[j] = f[j];
                    else
                        f[j] = acc ? f[j] + l[j] : l[j];
                }
        }
}

// fakeit's weights (OC, C, K, K) -> LIBXSMM's (OC/bo, C/bi, K, K, bi, bo)
static void filter_in(float *f, const float *w, int OC, int C, int KK, int bi, int bo) {
    const int OB = OC / bo, CB = C / bi;
#pragma omp parallel for collapse(2) schedule(static)
    for (int ob = 0; ob < OB; ob++)
        for (int cb = 0; cb < CB; cb++)
            for (int rs = 0; rs < KK; rs++)
                for (int c = 0; c < bi; c++) {
                    float *d = f + ((((size_t)ob * CB + cb) * KK + rs) * bi + c) * bo;
                    const float *s = w + ((size_t)ob * bo * C + (size_t)cb * bi + c) * KK + rs;
                    for (int o = 0; o < bo; o++) d[o] = s[(size_t)o * C * KK];
                }
}

// dw (OC, C, K, K) += LIBXSMM's weight gradient
static void filter_out_add(float *dw, const float *f, int OC, int C, int KK, int bi, int bo) {
    const int OB = OC / bo, CB = C / bi;
#pragma omp parallel for collapse(2) schedule(static)
    for (int ob = 0; ob < OB; ob++)
        for (int cb = 0; cb < CB; cb++)
            for (int o = 0; o < bo; o++)
                for (int c = 0; c < bi; c++) {
                    float *d = dw + ((size_t)(ob * bo + o) * C + cb * bi + c) * KK;
                    const float *s = f + ((((size_t)ob * CB + cb) * KK) * bi + c) * bo + o;
                    for (int rs = 0; rs < KK; rs++) d[rs] += s[(size_t)rs * bi * bo];
                }
}

// Binds the arena; returns LIBXSMM's input and output activation buffers.
static void bind(Layer *l, float **in, float **out) {
    const size_t need = l->scratch + (l->in_n + l->out_n) * sizeof(float);
    if (need > arena_size) {
        free(arena);
        arena = (char *)cpu_aligned(need);
        arena_size = need;
    }
    XS(libxsmm_dnn_bind_scratch(l->h, LIBXSMM_DNN_COMPUTE_KIND_ALL, arena));
    *in = (float *)(arena + l->scratch);
    *out = *in + l->in_n;
}

static void run(Layer *l, libxsmm_dnn_compute_kind kind) {
    const int threads = l->key[8];
#pragma omp parallel num_threads(threads)
    {
        libxsmm_dnn_err_t st = libxsmm_dnn_execute_st(l->h, kind, 0, omp_get_thread_num());
        FK_CHECK(st == LIBXSMM_DNN_SUCCESS, "LIBXSMM: %s", libxsmm_dnn_get_error(st));
    }
    XS(libxsmm_dnn_release_scratch(l->h, LIBXSMM_DNN_COMPUTE_KIND_ALL));
}

static void set(Layer *l, int t, const void *p) { XS(libxsmm_dnn_set_tensor_data_ptr(l->t[t], p)); }

int cpu_xsmm_can(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P) {
    const CpuConvEq e = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (!cpu_blocked(e.C, e.H, e.W) || !cpu_blocked(e.OC, e.OH, e.OW)) return 0;
    // the equivalent convolution must map its output size back exactly
    if (transposed && (conv_out_size(e.H, K, S, P) != H || conv_out_size(e.W, K, S, P) != W)) return 0;
    return layer_get(N, e.C, e.H, e.W, e.OC, K, S, P)->ok;
}

static Layer *layer_of(const CpuConvEq *e) {
    Layer *l = layer_get(e->N, e->C, e->H, e->W, e->OC, e->K, e->S, e->P);
    FK_CHECK(l->ok, "LIBXSMM cannot run this convolution (cpu_xsmm_can was not asked)");
    return l;
}

// LIBXSMM's FWD (x: input, y: output) or BWD (x: output gradient, y: input
// gradient) of the equivalent convolution with fakeit's weights w; `acc` adds to y.
static void data_pass(int fwd, float *y, const float *x, const float *w, CpuConvEq e, int acc) {
    const int N = e.N, KK = e.K * e.K;
    Layer *l = layer_of(&e);
    float *lin, *lout;
    bind(l, &lin, &lout);
    const int ehw = e.H * e.W, eohw = e.OH * e.OW;
    filter_in(l->filter, w, e.OC, e.C, KK, l->bi, l->bo);
    set(l, T_W, l->filter);
    if (fwd) {
        relayout(lin, (float *)x, N, e.C, ehw, l->bi, 1, 0);
        set(l, T_IN, lin), set(l, T_OUT, lout);
        run(l, LIBXSMM_DNN_COMPUTE_KIND_FWD);
        relayout(lout, y, N, e.OC, eohw, l->bo, 0, acc);
    } else {
        relayout(lout, (float *)x, N, e.OC, eohw, l->bo, 1, 0);
        set(l, T_DOUT, lout), set(l, T_DIN, lin);
        run(l, LIBXSMM_DNN_COMPUTE_KIND_BWD);
        relayout(lin, y, N, e.C, ehw, l->bi, 0, acc);
    }
}

// The passes, after cpu_xsmm_can said yes; shapes as the ops' (ops/ops.h).
// out = conv(inp, w) (overwritten)
void cpu_xsmm_forward(int transposed, float *out, const float *inp, const float *w, int N, int C, int H, int W,
                      int OC, int K, int S, int P) {
    data_pass(!transposed, out, inp, w, cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P), 0);
}

// dinp += d(conv)/d(inp) applied to dout
void cpu_xsmm_backward_data(int transposed, float *dinp, const float *dout, const float *w, int N, int C, int H,
                            int W, int OC, int K, int S, int P) {
    data_pass(transposed, dinp, dout, w, cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P), 1);
}

// dw += d(conv)/d(w) applied to dout
void cpu_xsmm_backward_weights(int transposed, float *dw, const float *dout, const float *inp, int N, int C, int H,
                               int W, int OC, int K, int S, int P) {
    const CpuConvEq e = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
    Layer *l = layer_of(&e);
    float *lin, *lout;
    bind(l, &lin, &lout);
    // the equivalent convolution's input and output gradient: for a transposed
    // one, its output gradient and its input
    relayout(lin, (float *)(transposed ? dout : inp), N, e.C, e.H * e.W, l->bi, 1, 0);
    relayout(lout, (float *)(transposed ? inp : dout), N, e.OC, e.OH * e.OW, l->bo, 1, 0);
    set(l, T_IN, lin), set(l, T_DOUT, lout), set(l, T_DW, l->dfilter);
    run(l, LIBXSMM_DNN_COMPUTE_KIND_UPD);
    filter_out_add(dw, l->dfilter, e.OC, e.C, K * K, l->bi, l->bo);
}
