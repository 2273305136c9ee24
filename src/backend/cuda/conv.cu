// conv.cu: convolutions and transposed convolutions through cuDNN 9.
//
// One geometry serves both kinds. A convolution maps x (N, Cx, Hx, Wx) to
// y (N, Cy, Hy, Wy) with w (Cy, Cx, K, K). A transposed convolution is the
// same map read backwards: its input (N, C, H, W) is y, its output
// (N, OC, OH, OW) is x and its weight (C, OC, K, K) is w, so
//   conv  forward = cudnnConvolutionForward,      convT forward = BackwardData,
//   conv  d input = BackwardData,                 convT d input = Forward,
//   conv  d weight = BackwardFilter(x, dy),       convT d weight = BackwardFilter(dout, inp).
// Backward passes accumulate (beta = 1), as every backend's.
//
// Per geometry and precision the descriptors and the three algorithms are
// made once and cached: cuDNN's heuristics (cudnnGet*_v7, no timing, so the
// choice is the same every run) ranked, the first deterministic one whose
// workspace fits in 1 GiB taken. fp32 asks for CUDNN_FMA_MATH (no TF32, so
// results compare with the CPU backends); tf32 for tensor-op math.
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda.h"

typedef struct {
    int N, Cx, Hx, Wx, Cy, Hy, Wy, K, S, P, prec;
} Geom;

typedef struct Conv {
    Geom g;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    size_t ws_fwd, ws_data, ws_filter;
    struct Conv *next;
} Conv;

static Conv *cache;

enum { MAX_ALGOS = 16 };
static const size_t WS_LIMIT = (size_t)1 << 30;

static int pick(int n, const cudnnStatus_t *status, const cudnnDeterminism_t *det, const size_t *mem, int stride,
                const char *what, const Geom *g) {
    for (int i = 0; i < n; i++) {
        const size_t k = (size_t)i * stride;
        if (*(const cudnnStatus_t *)((const char *)status + k) == CUDNN_STATUS_SUCCESS &&
            *(const cudnnDeterminism_t *)((const char *)det + k) == CUDNN_DETERMINISTIC &&
            *(const size_t *)((const char *)mem + k) <= WS_LIMIT)
            return i;
    }
    fk_error("cuDNN offers no deterministic %s algorithm for a %dx%dx%dx%d -> %d channel convolution (K %d, S %d, P %d)",
             what, g->N, g->Cx, g->Hx, g->Wx, g->Cy, g->K, g->S, g->P);
    exit(1);
}

static Conv *conv_get(const Geom *g) {
    for (Conv *c = cache; c; c = c->next)
        if (!memcmp(&c->g, g, sizeof *g)) return c;
    cudnnHandle_t h = cu_dnn();
    Conv *c = (Conv *)fk_calloc(1, sizeof *c);
    c->g = *g;
    DNN_CHECK(cudnnCreateTensorDescriptor(&c->x));
    DNN_CHECK(cudnnCreateTensorDescriptor(&c->y));
    DNN_CHECK(cudnnCreateFilterDescriptor(&c->w));
    DNN_CHECK(cudnnCreateConvolutionDescriptor(&c->conv));
    DNN_CHECK(cudnnSetTensor4dDescriptor(c->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->N, g->Cx, g->Hx, g->Wx));
    DNN_CHECK(cudnnSetTensor4dDescriptor(c->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->N, g->Cy, g->Hy, g->Wy));
    DNN_CHECK(cudnnSetFilter4dDescriptor(c->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g->Cy, g->Cx, g->K, g->K));
    DNN_CHECK(cudnnSetConvolution2dDescriptor(c->conv, g->P, g->P, g->S, g->S, 1, 1, CUDNN_CROSS_CORRELATION,
                                              CUDNN_DATA_FLOAT));
    DNN_CHECK(cudnnSetConvolutionMathType(c->conv, g->prec == BACKEND_PRECISION_TF32 ? CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
                                                                                     : CUDNN_FMA_MATH));
    int oN, oC, oH, oW;
    DNN_CHECK(cudnnGetConvolution2dForwardOutputDim(c->conv, c->x, c->w, &oN, &oC, &oH, &oW));
    FK_CHECK(oN == g->N && oC == g->Cy && oH == g->Hy && oW == g->Wy,
             "cuDNN's output %dx%dx%dx%d is not the geometry's %dx%dx%dx%d", oN, oC, oH, oW, g->N, g->Cy, g->Hy, g->Wy);
    int n;
    cudnnConvolutionFwdAlgoPerf_t f[MAX_ALGOS];
    DNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, c->x, c->w, c->conv, c->y, MAX_ALGOS, &n, f));
    int i = pick(n, &f[0].status, &f[0].determinism, &f[0].memory, sizeof *f, "forward", g);
    c->fwd = f[i].algo;
    DNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, c->x, c->w, c->conv, c->y, c->fwd, &c->ws_fwd));
    cudnnConvolutionBwdDataAlgoPerf_t d[MAX_ALGOS];
    DNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, c->w, c->y, c->conv, c->x, MAX_ALGOS, &n, d));
    i = pick(n, &d[0].status, &d[0].determinism, &d[0].memory, sizeof *d, "backward-data", g);
    c->bwd_data = d[i].algo;
    DNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(h, c->w, c->y, c->conv, c->x, c->bwd_data, &c->ws_data));
    cudnnConvolutionBwdFilterAlgoPerf_t b[MAX_ALGOS];
    DNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, c->x, c->y, c->conv, c->w, MAX_ALGOS, &n, b));
    i = pick(n, &b[0].status, &b[0].determinism, &b[0].memory, sizeof *b, "backward-filter", g);
    c->bwd_filter = b[i].algo;
    DNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, c->x, c->y, c->conv, c->w, c->bwd_filter,
                                                             &c->ws_filter));
    c->next = cache;
    cache = c;
    return c;
}

void cu_conv_release(void) {
    while (cache) {
        Conv *c = cache;
        cache = c->next;
        cudnnDestroyTensorDescriptor(c->x), cudnnDestroyTensorDescriptor(c->y);
        cudnnDestroyFilterDescriptor(c->w), cudnnDestroyConvolutionDescriptor(c->conv);
        free(c);
    }
}

static const Conv *geom(int N, int Cx, int Hx, int Wx, int Cy, int K, int S, int P, int transposed) {
    Geom g = {N, Cx, Hx, Wx, Cy, 0, 0, K, S, P, cu_precision};
    if (transposed) {  // (N, Cx, Hx, Wx) is the transposed convolution's input, i.e. y
        g.Cy = Cx, g.Hy = Hx, g.Wy = Wx;
        g.Cx = Cy, g.Hx = (Hx - 1) * S - 2 * P + K, g.Wx = (Wx - 1) * S - 2 * P + K;
    } else {
        g.Hy = (Hx + 2 * P - K) / S + 1, g.Wy = (Wx + 2 * P - K) / S + 1;
    }
    return conv_get(&g);
}

// y = conv(x, w) * 1 + y * beta
static void run_fwd(const Conv *c, float *y, const float *x, const float *w, float beta) {
    const float one = 1.0f;
    DNN_CHECK(cudnnConvolutionForward(cu_dnn(), &one, c->x, x, c->w, w, c->conv, c->fwd, cu_workspace(c->ws_fwd),
                                      c->ws_fwd, &beta, c->y, y));
}

// x = conv^T(y, w) + x * beta
static void run_data(const Conv *c, float *x, const float *y, const float *w, float beta) {
    const float one = 1.0f;
    DNN_CHECK(cudnnConvolutionBackwardData(cu_dnn(), &one, c->w, w, c->y, y, c->conv, c->bwd_data,
                                           cu_workspace(c->ws_data), c->ws_data, &beta, c->x, x));
}

// dw += x (*) dy
static void run_filter(const Conv *c, float *dw, const float *x, const float *dy) {
    const float one = 1.0f;
    DNN_CHECK(cudnnConvolutionBackwardFilter(cu_dnn(), &one, c->x, x, c->y, dy, c->conv, c->bwd_filter,
                                             cu_workspace(c->ws_filter), c->ws_filter, &one, c->w, dw));
}

__global__ static void add_bias(float *out, const float *b, int C, int HW, size_t n) {
    CU_EACH(i, n) out[i] += b[(i / HW) % C];
}

static void bias(float *out, const float *b, int N, int C, int HW) {
    const size_t n = (size_t)N * C * HW;
    if (b) CU_LAUNCH(add_bias, n, out, b, C, HW, n);
}

void cu_conv2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                       int OC, int K, int S, int P) {
    const Conv *c = geom(N, C, H, W, OC, K, S, P, 0);
    run_fwd(c, out, inp, w, 0.0f);
    bias(out, b, N, OC, c->g.Hy * c->g.Wy);
}

void cu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int C, int H, int W, int OC, int K, int S, int P, int acc) {
    const Conv *c = geom(N, C, H, W, OC, K, S, P, 0);
    if (dinp) run_data(c, dinp, dout, w, acc ? 1.0f : 0.0f);
    if (dw) run_filter(c, dw, inp, dout);
    if (db) cu_channel_sum_acc(db, dout, N, OC, c->g.Hy * c->g.Wy);
}

void cu_convt2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                        int OC, int K, int S, int P) {
    const Conv *c = geom(N, C, H, W, OC, K, S, P, 1);
    run_data(c, out, inp, w, 0.0f);
    bias(out, b, N, OC, c->g.Hx * c->g.Wx);
}

void cu_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    const Conv *c = geom(N, C, H, W, OC, K, S, P, 1);
    if (dinp) run_fwd(c, dinp, dout, w, acc ? 1.0f : 0.0f);
    if (dw) run_filter(c, dw, dout, inp);
    if (db) cu_channel_sum_acc(db, dout, N, OC, c->g.Hx * c->g.Wx);
}
