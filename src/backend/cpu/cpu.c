// backend_cpu.c: the fast CPU backend. Convolutions and transposed
// convolutions run on oneDNN (libdnnl, C API); everything else is C written
// for oneDNN's blocked activation layout, vectorised and threaded with OpenMP.
//
// Layout. An activation (N, C, H, W) with C a multiple of B and more than one
// pixel is stored as oneDNN's nChwBc: (N, C/B, H, W, B), so consecutive
// layers exchange tensors without reorders. B is the block oneDNN's
// convolutions want on this CPU: 16 with AVX-512, 8 with AVX2. Every other
// tensor (images with 1 or 3 channels, noise and score vectors, parameters,
// gradients) is plain NCHW. For one pixel both layouts are the same bytes. Net converts at its
// edges with to_native / to_plain; ops receive tensors in this layout.
//
// oneDNN primitives are created once per shape (and thread count) and kept in
// a cache. Weights are kept in PyTorch's layout in the parameter block and
// reordered into the primitive's layout at each call (they change every
// step); gradients come back through a reorder with a sum post-op, which keeps
// the engine's rule that backward passes accumulate.
//
// Reproducibility: the same thread count gives the same bits (oneDNN splits
// its reductions by thread count, and so do we nowhere else: every reduction
// written here is owned by one thread). Different thread counts agree to
// rounding, not bit for bit.
#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "ops/ops.h"
#include "util/util.h"

#define MAX_BLK 16
static int BLK;  // channels per block: what oneDNN's convolutions want on this CPU (16 AVX-512, 8 AVX2)
static int block_size(void);

static int cpu_blocked(int C, int H, int W) { return C % block_size() == 0 && (size_t)H * W > 1; }

// ---------------------------------------------------------------------------
// oneDNN set-up

static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define DN(call)                                                                  \
    do {                                                                          \
        dnnl_status_t st_ = (call);                                               \
        FK_CHECK(st_ == dnnl_success, "oneDNN status %d from %s", (int)st_, #call); \
    } while (0)

static void dn_init(void) {
    if (engine) return;
    DN(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DN(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
}

static dnnl_memory_desc_t md_tag(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag);

// Asks oneDNN which layout a typical convolution wants for its input:
// nChw16c (AVX-512) or nChw8c (AVX2); anything else keeps 16-channel blocks
// and lets the reorders in front of the primitives cope.
// FAKEIT_CPU_BLOCK=8 or 16 forces a block (tests run both layouts on any CPU).
static int block_size(void) {
    if (BLK) return BLK;
    dn_init();
    const char *force = getenv("FAKEIT_CPU_BLOCK");
    if (force && (!strcmp(force, "8") || !strcmp(force, "16"))) return BLK = atoi(force);
    const dnnl_dims_t src = {32, 64, 16, 16}, wei = {64, 64, 3, 3}, dst = {32, 64, 16, 16}, st = {1, 1}, pad = {1, 1};
    dnnl_memory_desc_t s = md_tag(4, src, dnnl_format_tag_any), w = md_tag(4, wei, dnnl_format_tag_any);
    dnnl_memory_desc_t d = md_tag(4, dst, dnnl_format_tag_any);
    dnnl_convolution_desc_t cd;
    DN(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &s, &w, NULL, &d, st,
                                          pad, pad));
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, NULL));
    dnnl_memory_desc_t b8 = md_tag(4, src, dnnl_nChw8c);
    BLK = dnnl_memory_desc_equal(&b8, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)) ? 8 : 16;
    DN(dnnl_primitive_desc_destroy(pd));
    return BLK;
}

static float *aligned_floats(size_t bytes) {
    size_t n = (bytes + 63) / 64 * 64;
    float *p = aligned_alloc(64, n ? n : 64);
    FK_CHECK(p != NULL, "out of memory (%zu bytes)", n);
    memset(p, 0, n ? n : 64);
    return p;
}

static dnnl_memory_desc_t md_tag(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    DN(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag));
    return md;
}

// An activation in this backend's layout.
static dnnl_memory_desc_t md_act(int N, int C, int H, int W) {
    dnnl_dims_t d = {N, C, H, W};
    return md_tag(4, d, !cpu_blocked(C, H, W) ? dnnl_nchw : BLK == 8 ? dnnl_nChw8c : dnnl_nChw16c);
}

static dnnl_memory_desc_t md_any(int ndims, const dnnl_dims_t dims) { return md_tag(ndims, dims, dnnl_format_tag_any); }

static dnnl_primitive_t make_reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, int accumulate) {
    dnnl_primitive_attr_t attr = NULL;
    if (accumulate) {
        dnnl_post_ops_t po;
        DN(dnnl_primitive_attr_create(&attr));
        DN(dnnl_post_ops_create(&po));
        DN(dnnl_post_ops_append_sum(po, 1.0f));
        DN(dnnl_primitive_attr_set_post_ops(attr, po));
        DN(dnnl_post_ops_destroy(po));
    }
    dnnl_primitive_desc_t pd;
    DN(dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, attr));
    dnnl_primitive_t p;
    DN(dnnl_primitive_create(&p, pd));
    DN(dnnl_primitive_desc_destroy(pd));
    if (attr) DN(dnnl_primitive_attr_destroy(attr));
    return p;
}

static void run_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DN(dnnl_primitive_execute(r, stream, 2, a));
}

// ---------------------------------------------------------------------------
// A primitive with its arguments. Each argument has the caller's layout
// (`user`) and the primitive's; when they differ, or when an output must be
// accumulated, data passes through a buffer in the primitive's layout. Those
// buffers live only while one primitive runs, so all primitives share one
// arena, as large as the largest primitive needs.

enum { ARG_IN, ARG_OUT, ARG_ACC };  // input; output overwritten; output added (+=)
#define MAX_ARGS 5

typedef struct {
    int id, dir;
    dnnl_memory_t user, prim;  // memory objects; the handle of `user` is set per call
    dnnl_primitive_t reorder;  // user -> prim (input) or prim -> user (output), NULL if direct
    size_t off;                // its primitive-layout buffer, at this offset in the arena
} Arg;

typedef struct Prim {
    struct Prim *next;
    int key[14];
    dnnl_primitive_t p;
    Arg args[MAX_ARGS];
    int n_args;
    size_t arena_bytes;  // buffers this primitive needs
} Prim;

static Prim *cache;
static char *arena;
static size_t arena_size;

static void add_arg(Prim *pr, int id, int dir, dnnl_memory_desc_t user, const dnnl_memory_desc_t *prim) {
    Arg *a = &pr->args[pr->n_args++];
    a->id = id, a->dir = dir;
    DN(dnnl_memory_create(&a->user, &user, engine, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(&user, prim) && dir != ARG_ACC) {
        a->prim = a->user;
        return;
    }
    a->off = pr->arena_bytes;
    pr->arena_bytes += (dnnl_memory_desc_get_size(prim) + 63) / 64 * 64;
    DN(dnnl_memory_create(&a->prim, prim, engine, DNNL_MEMORY_NONE));
    a->reorder = dir == ARG_IN ? make_reorder(&user, prim, 0) : make_reorder(prim, &user, dir == ARG_ACC);
}

// Runs the primitive on caller pointers ptr[i] (argument order as added; NULL
// skips an accumulated output).
static void prim_run(Prim *pr, void *const *ptr) {
    dnnl_exec_arg_t ea[MAX_ARGS];
    if (pr->arena_bytes > arena_size) {
        free(arena);
        arena = (char *)aligned_floats(pr->arena_bytes);
        arena_size = pr->arena_bytes;
    }
    for (int i = 0; i < pr->n_args; i++) {
        Arg *a = &pr->args[i];
        if (ptr[i]) DN(dnnl_memory_set_data_handle(a->user, ptr[i]));
        if (a->prim != a->user) DN(dnnl_memory_set_data_handle(a->prim, arena + a->off));
        if (a->dir == ARG_IN && a->reorder) run_reorder(a->reorder, a->user, a->prim);
        ea[i] = (dnnl_exec_arg_t){a->id, a->prim};
    }
    DN(dnnl_primitive_execute(pr->p, stream, pr->n_args, ea));
    for (int i = 0; i < pr->n_args; i++) {
        Arg *a = &pr->args[i];
        if (a->dir != ARG_IN && a->reorder && ptr[i]) run_reorder(a->reorder, a->prim, a->user);
    }
    DN(dnnl_stream_wait(stream));
}

static Prim *prim_find(const int *key) {
    for (Prim *p = cache; p; p = p->next)
        if (memcmp(p->key, key, sizeof p->key) == 0) return p;
    return NULL;
}

static Prim *prim_new(const int *key, const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint,
                      dnnl_primitive_desc_t *pd_out) {
    Prim *pr = fk_calloc(1, sizeof *pr);
    memcpy(pr->key, key, sizeof pr->key);
    DN(dnnl_primitive_desc_create(pd_out, desc, NULL, engine, hint));
    DN(dnnl_primitive_create(&pr->p, *pd_out));
    pr->next = cache;
    cache = pr;
    return pr;
}

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t q) {
    return dnnl_primitive_desc_query_md(pd, q, 0);
}

// ---------------------------------------------------------------------------
// convolution and transposed convolution

enum { FWD, BWD_DATA, BWD_WEIGHTS };

typedef struct {
    int transposed, N, C, H, W, OC, K, S, P, bias;
    int OH, OW;
    dnnl_dims_t src, wei, bia, dst, strides, pad_l, pad_r;
} ConvShape;

static ConvShape conv_shape(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P, int bias) {
    ConvShape s = {transposed, N, C, H, W, OC, K, S, P, bias, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}, {0}};
    s.OH = transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
    s.OW = transposed ? convt_out_size(W, K, S, P) : conv_out_size(W, K, S, P);
    s.src[0] = N, s.src[1] = C, s.src[2] = H, s.src[3] = W;
    s.dst[0] = N, s.dst[1] = OC, s.dst[2] = s.OH, s.dst[3] = s.OW;
    s.wei[0] = OC, s.wei[1] = C, s.wei[2] = K, s.wei[3] = K;  // oneDNN: (out, in, kh, kw) for both
    s.bia[0] = OC;
    s.strides[0] = s.strides[1] = S;
    s.pad_l[0] = s.pad_l[1] = P;
    if (transposed) {
        s.pad_r[0] = s.pad_r[1] = P;
    } else {  // PyTorch floors the output size; oneDNN wants the right padding that gives it exactly
        s.pad_r[0] = (s.OH - 1) * S + K - H - P;
        s.pad_r[1] = (s.OW - 1) * S + K - W - P;
    }
    return s;
}

// Weights as fakeit stores them: Conv2d (OC, C, K, K), ConvTranspose2d (C, OC, K, K).
static dnnl_memory_desc_t md_weights(const ConvShape *s) {
    return md_tag(4, s->wei, s->transposed ? dnnl_iohw : dnnl_oihw);
}

static void conv_desc(const ConvShape *s, int which, int with_bias, void *desc) {
    dnnl_memory_desc_t src = md_any(4, s->src), wei = md_any(4, s->wei), dst = md_any(4, s->dst);
    dnnl_memory_desc_t bia = md_any(1, s->bia), none;
    memset(&none, 0, sizeof none);
    const dnnl_memory_desc_t *b = with_bias ? &bia : &none;
    if (!s->transposed) {
        dnnl_convolution_desc_t *d = desc;
        if (which == FWD)
            DN(dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct, &src, &wei, b,
                                                  &dst, s->strides, s->pad_l, s->pad_r));
        else if (which == BWD_DATA)
            DN(dnnl_convolution_backward_data_desc_init(d, dnnl_convolution_direct, &src, &wei, &dst, s->strides,
                                                        s->pad_l, s->pad_r));
        else
            DN(dnnl_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, &src, &wei, b, &dst,
                                                           s->strides, s->pad_l, s->pad_r));
    } else {
        dnnl_deconvolution_desc_t *d = desc;
        if (which == FWD)
            DN(dnnl_deconvolution_forward_desc_init(d, dnnl_forward_training, dnnl_deconvolution_direct, &src, &wei,
                                                    b, &dst, s->strides, s->pad_l, s->pad_r));
        else if (which == BWD_DATA)
            DN(dnnl_deconvolution_backward_data_desc_init(d, dnnl_deconvolution_direct, &src, &wei, &dst,
                                                          s->strides, s->pad_l, s->pad_r));
        else
            DN(dnnl_deconvolution_backward_weights_desc_init(d, dnnl_deconvolution_direct, &src, &wei, b, &dst,
                                                             s->strides, s->pad_l, s->pad_r));
    }
}

// The primitive for one direction of one convolution shape, made on first use.
static Prim *conv_prim(const ConvShape *s, int which, int with_bias) {
    const int key[14] = {s->transposed, which, s->N, s->C, s->H, s->W, s->OC, s->K, s->S, s->P, with_bias,
                         omp_get_max_threads(), 0, 0};
    Prim *pr = prim_find(key);
    if (pr) return pr;
    dn_init();
    union { dnnl_convolution_desc_t c; dnnl_deconvolution_desc_t d; } fd, bd;
    conv_desc(s, FWD, with_bias, &fd);
    dnnl_primitive_desc_t fpd, pd;
    if (which == FWD) {
        pr = prim_new(key, &fd, NULL, &pd);
        add_arg(pr, DNNL_ARG_SRC, ARG_IN, md_act(s->N, s->C, s->H, s->W), pd_md(pd, dnnl_query_src_md));
        add_arg(pr, DNNL_ARG_WEIGHTS, ARG_IN, md_weights(s), pd_md(pd, dnnl_query_weights_md));
        if (with_bias) add_arg(pr, DNNL_ARG_BIAS, ARG_IN, md_tag(1, s->bia, dnnl_x), dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1));
        add_arg(pr, DNNL_ARG_DST, ARG_OUT, md_act(s->N, s->OC, s->OH, s->OW), pd_md(pd, dnnl_query_dst_md));
        DN(dnnl_primitive_desc_destroy(pd));
        return pr;
    }
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));  // the hint backward needs
    conv_desc(s, which, with_bias, &bd);
    pr = prim_new(key, &bd, fpd, &pd);
    if (which == BWD_DATA) {
        add_arg(pr, DNNL_ARG_DIFF_DST, ARG_IN, md_act(s->N, s->OC, s->OH, s->OW), pd_md(pd, dnnl_query_diff_dst_md));
        add_arg(pr, DNNL_ARG_WEIGHTS, ARG_IN, md_weights(s), pd_md(pd, dnnl_query_weights_md));
        add_arg(pr, DNNL_ARG_DIFF_SRC, ARG_ACC, md_act(s->N, s->C, s->H, s->W), pd_md(pd, dnnl_query_diff_src_md));
    } else {
        add_arg(pr, DNNL_ARG_SRC, ARG_IN, md_act(s->N, s->C, s->H, s->W), pd_md(pd, dnnl_query_src_md));
        add_arg(pr, DNNL_ARG_DIFF_DST, ARG_IN, md_act(s->N, s->OC, s->OH, s->OW), pd_md(pd, dnnl_query_diff_dst_md));
        add_arg(pr, DNNL_ARG_DIFF_WEIGHTS, ARG_ACC, md_weights(s), pd_md(pd, dnnl_query_diff_weights_md));
        if (with_bias)
            add_arg(pr, DNNL_ARG_DIFF_BIAS, ARG_ACC, md_tag(1, s->bia, dnnl_x),
                    dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 1));
    }
    DN(dnnl_primitive_desc_destroy(pd));
    DN(dnnl_primitive_desc_destroy(fpd));
    return pr;
}

static void conv_fwd(int transposed, float *out, const float *inp, const float *w, const float *b,
                     int N, int C, int H, int W, int OC, int K, int S, int P) {
    ConvShape s = conv_shape(transposed, N, C, H, W, OC, K, S, P, b != NULL);
    Prim *pr = conv_prim(&s, FWD, b != NULL);
    void *ptr[4] = {(void *)inp, (void *)w, (void *)b, out};
    if (!b) ptr[2] = out;  // no bias argument: dst is the third
    prim_run(pr, ptr);
}

static void conv_bwd(int transposed, float *dinp, float *dw, float *db, const float *dout, const float *inp,
                     const float *w, int N, int C, int H, int W, int OC, int K, int S, int P) {
    ConvShape s = conv_shape(transposed, N, C, H, W, OC, K, S, P, db != NULL);
    if (dinp) {
        void *ptr[3] = {(void *)dout, (void *)w, dinp};
        prim_run(conv_prim(&s, BWD_DATA, 0), ptr);
    }
    if (dw || db) {
        // the weight gradient always comes with the primitive; a NULL dw is computed and dropped
        void *ptr[4] = {(void *)inp, (void *)dout, dw, db};
        prim_run(conv_prim(&s, BWD_WEIGHTS, db != NULL), ptr);
    }
}

static void cpu_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                               int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_fwd(0, out, inp, w, b, N, C, H, W, OC, K, S, P);
}
static void cpu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                const float *w, int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_bwd(0, dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P);
}
static void cpu_convt2d_forward(float *out, const float *inp, const float *w, const float *b,
                                int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_fwd(1, out, inp, w, b, N, C, H, W, OC, K, S, P);
}
static void cpu_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                 const float *w, int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_bwd(1, dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P);
}

// ---------------------------------------------------------------------------
// layout conversion

// plain (N, C, HW) <-> blocked (N, C/B, HW, B); `acc` adds instead of writing.
static void blocked_to_plain(float *dst, const float *src, int N, int C, int HW, int acc) {
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const float *s = src + (((size_t)n * CB + c / BLK) * HW) * BLK + c % BLK;
            float *d = dst + ((size_t)n * C + c) * HW;
            if (acc)
                for (int i = 0; i < HW; i++) d[i] += s[(size_t)i * BLK];
            else
                for (int i = 0; i < HW; i++) d[i] = s[(size_t)i * BLK];
        }
}

static void plain_to_blocked(float *dst, const float *src, int N, int C, int HW, int acc) {
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            float *d = dst + ((size_t)n * CB + cb) * HW * BLK;
            const float *s = src + ((size_t)n * C + (size_t)cb * BLK) * HW;
            for (int i = 0; i < HW; i++)
                for (int l = 0; l < BLK; l++) {
                    float v = s[(size_t)l * HW + i];
                    d[(size_t)i * BLK + l] = acc ? d[(size_t)i * BLK + l] + v : v;
                }
        }
}

// Layout conversion at a network's edge: `blocked` when the shape is
// blocked, else a plain copy (or sum with acc).
static void convert(float *dst, const float *src, int N, int C, int H, int W, int acc,
                    void (*blocked)(float *, const float *, int, int, int, int)) {
    const size_t n = (size_t)N * C * H * W;
    if (cpu_blocked(C, H, W)) {
        blocked(dst, src, N, C, H * W, acc);
    } else if (acc) {
        for (size_t i = 0; i < n; i++) dst[i] += src[i];
    } else if (n) {
        memcpy(dst, src, n * sizeof(float));
    }
}

static void cpu_to_native(float *dst, const float *src, int N, int C, int H, int W, int acc) {
    convert(dst, src, N, C, H, W, acc, plain_to_blocked);
}

static void cpu_to_plain(float *dst, const float *src, int N, int C, int H, int W, int acc) {
    convert(dst, src, N, C, H, W, acc, blocked_to_plain);
}

static void cpu_lrelu_forward(float *out, const float *inp, size_t n, float slope);
static void cpu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope);

// ---------------------------------------------------------------------------
// batch normalisation on the blocked layout: one thread owns a block of B
// channels and sums it in double, in the reference's order per channel, so
// results match the reference to rounding and never depend on thread count.

static void bn_stats_blocked(double *mean, double *var, const float *x, int N, int CB, int cb, int HW) {
    double s[MAX_BLK] = {0}, q[MAX_BLK] = {0};
    for (int n = 0; n < N; n++) {
        const float *p = x + ((size_t)n * CB + cb) * HW * BLK;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < BLK; l++) s[l] += p[(size_t)i * BLK + l];
    }
    const double M = (double)N * HW;
    for (int l = 0; l < BLK; l++) mean[l] = s[l] / M;
    for (int n = 0; n < N; n++) {
        const float *p = x + ((size_t)n * CB + cb) * HW * BLK;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < BLK; l++) {
                double d = p[(size_t)i * BLK + l] - mean[l];
                q[l] += d * d;
            }
    }
    for (int l = 0; l < BLK; l++) var[l] = q[l] / M;
}

// act 0: batch norm alone; 1: followed by y > 0 ? y : slope * y (ReLU when slope = 0)
static void bn_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean, float *running_var,
                             const float *inp, const float *gamma, const float *beta, int N, int C, int HW, float eps,
                             float momentum, int act, float slope) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW,
                                eps, momentum);
        if (act) cpu_lrelu_forward(out, out, (size_t)N * C * HW, slope);
        return;
    }
    const size_t M = (size_t)N * HW;
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (N=%d, HW=%d)", N, HW);
    const int CB = C / BLK;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        double mean[MAX_BLK], var[MAX_BLK];
        float k[MAX_BLK], t[MAX_BLK];
        bn_stats_blocked(mean, var, inp, N, CB, cb, HW);
        for (int l = 0; l < BLK; l++) {
            const int c = cb * BLK + l;
            const float rstd = (float)(1.0 / sqrt(var[l] + eps)), m = (float)mean[l];
            // the reference computes ((x - m) * rstd) * gamma + beta; keep its rounding
            k[l] = rstd, t[l] = m;
            save_mean[c] = m, save_rstd[c] = rstd;
            running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
            running_var[c] = (1.0f - momentum) * running_var[c] +
                             momentum * (float)(var[l] * (double)M / (double)(M - 1));
        }
        const float *g = gamma + cb * BLK, *b = beta + cb * BLK;
        const float s = act ? slope : 1.0f;  // branch-free: y * 1 is y
        for (int n = 0; n < N; n++) {
            const float *p = inp + ((size_t)n * CB + cb) * HW * BLK;
            float *o = out + ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const float y = (p[(size_t)i * BLK + l] - t[l]) * k[l] * g[l] + b[l];
                    o[(size_t)i * BLK + l] = y > 0.0f ? y : y * s;
                }
        }
    }
}

static void cpu_batchnorm_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                        float *running_var, const float *inp, const float *gamma, const float *beta,
                                        int N, int C, int HW, float eps, float momentum) {
    bn_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW, eps, momentum,
                     0, 0.0f);
}

static void cpu_batchnorm_act_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                            float *running_var, const float *inp, const float *gamma,
                                            const float *beta, int N, int C, int HW, float eps, float momentum,
                                            float slope) {
    bn_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW, eps, momentum,
                     1, slope);
}

// Shared by training and evaluation mode: in evaluation the statistics are
// the running ones and the mean terms of dx vanish (train = 1 keeps them).
// With `out` (the activation's output) the gradient first passes back
// through the activation: out > 0 ? dy : slope * dy.
static void bn_backward_blocked(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                float slope, const float *inp, const float *mean_c, const float *rstd_c,
                                const float *gamma, int N, int C, int HW, int train) {
    const int CB = C / BLK;
    const double M = (double)N * HW;
    // without an activation the mask reads the input and scales by 1: branch-free
    const float *mask = out ? out : inp, s = out ? slope : 1.0f;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        const float *m = mean_c + cb * BLK, *r = rstd_c + cb * BLK, *g = gamma + cb * BLK;
        double sdy[MAX_BLK] = {0}, sdyx[MAX_BLK] = {0};
        for (int n = 0; n < N; n++) {
            const size_t base = ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const float d = dout[base + (size_t)i * BLK + l];
                    const float dy = mask[base + (size_t)i * BLK + l] > 0.0f ? d : d * s;
                    const float xhat = (inp[base + (size_t)i * BLK + l] - m[l]) * r[l];
                    sdy[l] += dy;
                    sdyx[l] += (double)dy * xhat;
                }
        }
        for (int l = 0; l < BLK; l++) {
            if (dgamma) dgamma[cb * BLK + l] += (float)sdyx[l];
            if (dbeta) dbeta[cb * BLK + l] += (float)sdy[l];
        }
        if (!dinp) continue;
        float k[MAX_BLK], mdy[MAX_BLK], mdyx[MAX_BLK];
        for (int l = 0; l < BLK; l++) {
            k[l] = g[l] * r[l];
            mdy[l] = train ? (float)(sdy[l] / M) : 0.0f;
            mdyx[l] = train ? (float)(sdyx[l] / M) : 0.0f;
        }
        for (int n = 0; n < N; n++) {
            const size_t base = ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const size_t j = base + (size_t)i * BLK + l;
                    const float xhat = (inp[j] - m[l]) * r[l];
                    const float dy = mask[j] > 0.0f ? dout[j] : dout[j] * s;
                    dinp[j] += train ? k[l] * (dy - mdy[l] - xhat * mdyx[l]) : k[l] * dy;
                }
        }
    }
}

static void cpu_batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                         const float *inp, const float *save_mean, const float *save_rstd,
                                         const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_train(dinp, dgamma, dbeta, dout, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    bn_backward_blocked(dinp, dgamma, dbeta, dout, NULL, 0.0f, inp, save_mean, save_rstd, gamma, N, C, HW, 1);
}

static void eval_stats(float *rstd, const float *running_var, int C, float eps) {
    for (int c = 0; c < C; c++) rstd[c] = (float)(1.0 / sqrt((double)running_var[c] + eps));
}

static void cpu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                                       const float *running_mean, const float *running_var,
                                       int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps);
        return;
    }
    const int CB = C / BLK;
    float *rstd = fk_malloc((size_t)C * sizeof(float));
    eval_stats(rstd, running_var, C, eps);
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            const float *m = running_mean + cb * BLK, *r = rstd + cb * BLK, *g = gamma + cb * BLK, *b = beta + cb * BLK;
            const size_t base = ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const size_t j = base + (size_t)i * BLK + l;
                    out[j] = (inp[j] - m[l]) * r[l] * g[l] + b[l];
                }
        }
    free(rstd);
}

static void cpu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                        const float *inp, const float *gamma, const float *running_mean,
                                        const float *running_var, int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_eval(dinp, dgamma, dbeta, dout, inp, gamma, running_mean, running_var, N, C, HW, eps);
        return;
    }
    float *rstd = fk_malloc((size_t)C * sizeof(float));
    eval_stats(rstd, running_var, C, eps);
    bn_backward_blocked(dinp, dgamma, dbeta, dout, NULL, 0.0f, inp, running_mean, rstd, gamma, N, C, HW, 0);
    free(rstd);
}

// Batch norm and its activation backward, from the activation's output.
// train 1: stats are the saved batch mean and rstd; 0: running mean and
// running variance (evaluation mode).
static void cpu_batchnorm_act_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                       const float *inp, const float *mean, const float *rstd_or_var,
                                       const float *gamma, int N, int C, int HW, float eps, float slope, int train) {
    float *rstd = NULL;
    if (!train) {
        rstd = fk_malloc((size_t)C * sizeof(float));
        eval_stats(rstd, rstd_or_var, C, eps);
    }
    const float *r = train ? rstd_or_var : rstd;
    if (cpu_blocked(C, HW, 1)) {
        bn_backward_blocked(dinp, dgamma, dbeta, dout, out, slope, inp, mean, r, gamma, N, C, HW, train);
    } else {  // plain: the activation's gradient, then the reference
        const size_t n = (size_t)N * C * HW;
        float *dy = fk_calloc(n ? n : 1, sizeof(float));
        cpu_lrelu_backward(dy, dout, out, n, slope);
        if (train)
            batchnorm_backward_train(dinp, dgamma, dbeta, dy, inp, mean, r, gamma, N, C, HW);
        else
            batchnorm_backward_eval(dinp, dgamma, dbeta, dy, inp, gamma, mean, rstd_or_var, N, C, HW, eps);
        free(dy);
    }
    free(rstd);
}

// ---------------------------------------------------------------------------
// Ops that are not on the fast path of any network yet (layer norm, PReLU
// backward, pixel shuffle, upsampling): on blocked tensors they convert to
// plain, run the reference and convert back. Plain tensors go straight to the
// reference.

static float *plain_copy(const float *x, int N, int C, int HW) {
    float *p = fk_malloc((size_t)N * C * HW * sizeof(float));
    blocked_to_plain(p, x, N, C, HW, 0);
    return p;
}

static float *plain_zeros(const float *want, size_t n) { return want ? fk_calloc(n, sizeof(float)) : NULL; }

static void cpu_layernorm_forward(float *out, float *save_mean, float *save_rstd, const float *inp,
                                  const float *gamma, const float *beta, int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_forward(out, save_mean, save_rstd, inp, gamma, beta, N, C, HW, eps);
        return;
    }
    const size_t n = (size_t)N * C * HW;
    float *x = plain_copy(inp, N, C, HW), *y = fk_malloc(n * sizeof(float));
    layernorm_forward(y, save_mean, save_rstd, x, gamma, beta, N, C, HW, eps);
    plain_to_blocked(out, y, N, C, HW, 0);
    free(x), free(y);
}

static void cpu_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                   const float *save_mean, const float *save_rstd, const float *gamma,
                                   int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_backward(dinp, dgamma, dbeta, dout, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    const size_t n = (size_t)N * C * HW;
    float *x = plain_copy(inp, N, C, HW), *dy = plain_copy(dout, N, C, HW), *dx = plain_zeros(dinp, n);
    layernorm_backward(dx, dgamma, dbeta, dy, x, save_mean, save_rstd, gamma, N, C, HW);
    if (dinp) plain_to_blocked(dinp, dx, N, C, HW, 1);
    free(x), free(dy), free(dx);
}

static void cpu_layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                              const float *save_rstd, const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_jvp(out_t, inp_t, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    const size_t n = (size_t)N * C * HW;
    float *x = plain_copy(inp, N, C, HW), *t = plain_copy(inp_t, N, C, HW), *y = fk_malloc(n * sizeof(float));
    layernorm_jvp(y, t, x, save_mean, save_rstd, gamma, N, C, HW);
    plain_to_blocked(out_t, y, N, C, HW, 0);
    free(x), free(t), free(y);
}

static void cpu_layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                       const float *dout_t, const float *inp, const float *inp_t,
                                       const float *save_mean, const float *save_rstd, const float *gamma,
                                       int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_jvp_backward(dinp, dgamma, dbeta, dout, dout_t, inp, inp_t, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    const size_t n = (size_t)N * C * HW;
    float *x = plain_copy(inp, N, C, HW), *t = plain_copy(inp_t, N, C, HW), *dyt = plain_copy(dout_t, N, C, HW);
    float *dy = dout ? plain_copy(dout, N, C, HW) : NULL, *dx = plain_zeros(dinp, n);
    layernorm_jvp_backward(dx, dgamma, dbeta, dy, dyt, x, t, save_mean, save_rstd, gamma, N, C, HW);
    if (dinp) plain_to_blocked(dinp, dx, N, C, HW, 1);
    free(x), free(t), free(dyt), free(dy), free(dx);
}

static void cpu_prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        prelu_forward(out, inp, a, N, C, HW);
        return;
    }
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            const size_t base = ((size_t)n * CB + cb) * HW * BLK;
            const float *s = a + cb * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const float v = inp[base + (size_t)i * BLK + l];
                    out[base + (size_t)i * BLK + l] = v > 0.0f ? v : s[l] * v;
                }
        }
}

static void cpu_prelu_backward(float *dinp, float *da, const float *dout, const float *inp, const float *a,
                               int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        prelu_backward(dinp, da, dout, inp, a, N, C, HW);
        return;
    }
    const size_t n = (size_t)N * C * HW;
    float *x = plain_copy(inp, N, C, HW), *dy = plain_copy(dout, N, C, HW), *dx = plain_zeros(dinp, n);
    prelu_backward(dx, da, dy, x, a, N, C, HW);
    if (dinp) plain_to_blocked(dinp, dx, N, C, HW, 1);
    free(x), free(dy), free(dx);
}

// Pixel shuffle and nearest upsampling share the reference signature
// op(out, inp, N, C, H, W, r): (N, IC, H, W) -> (N, OC, H r, W r), where C is
// the op's own channel argument (OC for the shuffle, both for upsampling).
typedef void (*ResampleFn)(float *, const float *, int, int, int, int, int);

static void resample_forward(ResampleFn op, float *out, const float *inp, int N, int C, int IC, int OC, int H, int W,
                             int r) {
    const int bi = cpu_blocked(IC, H, W), bo = cpu_blocked(OC, H * r, W * r);
    if (!bi && !bo) {
        op(out, inp, N, C, H, W, r);
        return;
    }
    float *x = bi ? plain_copy(inp, N, IC, H * W) : (float *)inp;
    float *y = bo ? fk_malloc((size_t)N * OC * H * W * r * r * sizeof(float)) : out;
    op(y, x, N, C, H, W, r);
    if (bo) plain_to_blocked(out, y, N, OC, H * W * r * r, 0), free(y);
    if (bi) free(x);
}

static void resample_backward(ResampleFn op, float *dinp, const float *dout, int N, int C, int IC, int OC, int H,
                              int W, int r) {
    const int bi = cpu_blocked(IC, H, W), bo = cpu_blocked(OC, H * r, W * r);
    if (!bi && !bo) {
        op(dinp, dout, N, C, H, W, r);
        return;
    }
    float *dy = bo ? plain_copy(dout, N, OC, H * W * r * r) : (float *)dout;
    float *dx = bi ? fk_calloc((size_t)N * IC * H * W, sizeof(float)) : dinp;
    op(dx, dy, N, C, H, W, r);
    if (bi) plain_to_blocked(dinp, dx, N, IC, H * W, 1), free(dx);
    if (bo) free(dy);
}

static void cpu_pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r) {
    resample_forward(pixel_shuffle_forward, out, inp, N, C, C * r * r, C, H, W, r);
}
static void cpu_pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r) {
    resample_backward(pixel_shuffle_backward, dinp, dout, N, C, C * r * r, C, H, W, r);
}
static void cpu_upsample_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    resample_forward(upsample_nearest_forward, out, inp, N, C, C, C, H, W, s);
}
static void cpu_upsample_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    resample_backward(upsample_nearest_backward, dinp, dout, N, C, C, C, H, W, s);
}
static void cpu_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    resample_forward(upsample_bicubic_forward, out, inp, N, C, C, C, H, W, s);
}
static void cpu_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    resample_backward(upsample_bicubic_backward, dinp, dout, N, C, C, C, H, W, s);
}

// ---------------------------------------------------------------------------
// element-wise ops, optimisers, clipping: layout-free, vectorised and threaded.
// The same float operations in the same order as the reference, so the same
// bits (the vector square root and division are correctly rounded).

static void cpu_relu_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

static void cpu_relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

static void cpu_lrelu_forward(float *out, const float *inp, size_t n, float slope) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : inp[i] * slope;
}

static void cpu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : dout[i] * slope;
}

static void cpu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

static void cpu_add_forward(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

static void cpu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps) {
    const float a = (float)alpha, one_minus_a = (float)(1.0 - alpha);
    const float neg_lr = (float)(-lr), e = (float)eps;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float s = sq[i] * a + one_minus_a * g[i] * g[i];
        sq[i] = s;
        p[i] = p[i] + neg_lr * g[i] / (sqrtf(s) + e);
    }
}

static void cpu_adam_step(float *p, float *m, float *v, const float *g, size_t n, double lr, double beta1,
                          double beta2, double eps, long t) {
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const double bc2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float neg_step = (float)(-(lr / bc1)), c2 = (float)bc2_sqrt, e = (float)eps;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float mi = m[i] * b1 + one_minus_b1 * g[i];
        const float vi = v[i] * b2 + one_minus_b2 * g[i] * g[i];
        m[i] = mi, v[i] = vi;
        p[i] = p[i] + neg_step * mi / (sqrtf(vi) / c2 + e);
    }
}

static void cpu_clip_weights(float *p, size_t n, float c) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = p[i] < -c ? -c : p[i] > c ? c : p[i];
}

// ---------------------------------------------------------------------------
// memory

static float *cpu_alloc(size_t n) { return aligned_floats(n * sizeof(float)); }
static void cpu_zero(float *p, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = 0.0f;
}


const Backend backend_cpu = {
    .name = "cpu",
    .description = "fast CPU: oneDNN convolutions, blocked activation layout, vectorised C for the rest",
    .host_memory = 1,
    .blocked = cpu_blocked,
    .to_native = cpu_to_native,
    .to_plain = cpu_to_plain,
    .set_threads = host_set_threads,
    .get_threads = host_get_threads,
    .alloc = cpu_alloc,
    .free = host_free,
    .upload = host_copy,
    .download = host_copy,
    .copy = host_copy,
    .zero = cpu_zero,
    .conv2d_forward = cpu_conv2d_forward,
    .conv2d_backward = cpu_conv2d_backward,
    .convt2d_forward = cpu_convt2d_forward,
    .convt2d_backward = cpu_convt2d_backward,
    .batchnorm_forward_train = cpu_batchnorm_forward_train,
    .batchnorm_backward_train = cpu_batchnorm_backward_train,
    .batchnorm_forward_eval = cpu_batchnorm_forward_eval,
    .batchnorm_backward_eval = cpu_batchnorm_backward_eval,
    .batchnorm_act_forward_train = cpu_batchnorm_act_forward_train,
    .batchnorm_act_backward = cpu_batchnorm_act_backward,
    .layernorm_forward = cpu_layernorm_forward,
    .layernorm_backward = cpu_layernorm_backward,
    .layernorm_jvp = cpu_layernorm_jvp,
    .layernorm_jvp_backward = cpu_layernorm_jvp_backward,
    .relu_forward = cpu_relu_forward,
    .relu_backward = cpu_relu_backward,
    .lrelu_forward = cpu_lrelu_forward,
    .lrelu_backward = cpu_lrelu_backward,
    .tanh_forward = tanh_forward,
    .tanh_backward = cpu_tanh_backward,
    .prelu_forward = cpu_prelu_forward,
    .prelu_backward = cpu_prelu_backward,
    .linear_forward = linear_forward,  // flat (N, D) operands: Net hands it plain ones
    .linear_backward = linear_backward,
    .pixel_shuffle_forward = cpu_pixel_shuffle_forward,
    .pixel_shuffle_backward = cpu_pixel_shuffle_backward,
    .upsample_nearest_forward = cpu_upsample_forward,
    .upsample_nearest_backward = cpu_upsample_backward,
    .upsample_bicubic_forward = cpu_bicubic_forward,
    .upsample_bicubic_backward = cpu_bicubic_backward,
    .add_forward = cpu_add_forward,
    .add_backward = add_backward,
    .mean_batch_forward = mean_batch_forward,
    .mean_batch_backward = mean_batch_backward,
    .wgan_loss_forward = wgan_loss_forward,
    .wgan_loss_backward = wgan_loss_backward,
    .grad_penalty = grad_penalty,
    .l1_loss_forward = l1_loss_forward,
    .l1_loss_backward = l1_loss_backward,
    .mse_loss_forward = mse_loss_forward,
    .mse_loss_backward = mse_loss_backward,
    .rmsprop_step = cpu_rmsprop_step,
    .adam_step = cpu_adam_step,
    .clip_weights = cpu_clip_weights,
};
