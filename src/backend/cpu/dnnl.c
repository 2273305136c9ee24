// dnnl.c: the CPU backend's oneDNN side: the engine, the block size oneDNN's
// convolutions want on this CPU, primitives made once per shape and kept,
// their reorders and shared arena, and the convolution ops.
#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

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

int cpu_blk;

// Asks oneDNN which layout a typical convolution wants for its input:
// nChw16c (AVX-512) or nChw8c (AVX2); anything else keeps 16-channel blocks
// and lets the reorders in front of the primitives cope.
// FAKEIT_CPU_BLOCK=8 or 16 forces a block (tests run both layouts on any CPU).
int cpu_block_size(void) {
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
    size_t bytes;              // of that buffer
    // bf16 weights of a forward pass: converted into a copy kept for them
    // (cpu_weight_copy) when they lie in a declared parameter block, else
    // into the arena per call, as an input gradient's are (run 1 or 2 times
    // per optimiser step where the forward runs 2 to 6; their copies would
    // add to the memory at 128 px, kernels.c's `packed`)
    int kept;
    size_t user_floats;
} Arg;

typedef struct Prim {
    struct Prim *next;
    int key[15];
    int forward;  // a convolution's forward pass (conv_prim): its bf16 weights are kept (Arg)
    dnnl_primitive_t p;
    Arg args[MAX_ARGS];
    int n_args;
    dnnl_memory_t scratch;  // oneDNN's own workspace, in the arena too; NULL if it needs none
    size_t scratch_off;
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
    a->bytes = dnnl_memory_desc_get_size(prim);
    a->kept = id == DNNL_ARG_WEIGHTS && dir == ARG_IN && prim->data_type == dnnl_bf16 && pr->forward;
    a->user_floats = dnnl_memory_desc_get_size(&user) / sizeof(float);
    a->off = pr->arena_bytes;
    pr->arena_bytes += (a->bytes + 63) / 64 * 64;  // kept weights too: for weights outside a declared block
    DN(dnnl_memory_create(&a->prim, prim, engine, DNNL_MEMORY_NONE));
    a->reorder = dir == ARG_IN ? make_reorder(&user, prim, 0) : make_reorder(prim, &user, dir == ARG_ACC);
}

// Runs the primitive on caller pointers ptr[i] (argument order as added; NULL
// skips an accumulated output).
static void prim_run(Prim *pr, void *const *ptr) {
    dnnl_exec_arg_t ea[MAX_ARGS + 1];
    if (pr->arena_bytes > arena_size) {
        free(arena);
        arena = (char *)cpu_aligned(pr->arena_bytes);
        arena_size = pr->arena_bytes;
    }
    for (int i = 0; i < pr->n_args; i++) {
        Arg *a = &pr->args[i];
        if (ptr[i]) DN(dnnl_memory_set_data_handle(a->user, ptr[i]));
        int stale = 1;
        void *kept = a->kept ? cpu_weight_copy(ptr[i], a->user_floats, a, a->bytes, &stale) : NULL;
        if (a->prim != a->user) DN(dnnl_memory_set_data_handle(a->prim, kept ? kept : arena + a->off));
        if (a->dir == ARG_IN && a->reorder && stale) run_reorder(a->reorder, a->user, a->prim);
        ea[i] = (dnnl_exec_arg_t){a->id, a->prim};
    }
    int n = pr->n_args;
    if (pr->scratch) {
        DN(dnnl_memory_set_data_handle(pr->scratch, arena + pr->scratch_off));
        ea[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, pr->scratch};
    }
    DN(dnnl_primitive_execute(pr->p, stream, n, ea));
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

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t q) {
    return dnnl_primitive_desc_query_md(pd, q, 0);
}

// act: 0, or 1 with a ReLU / LeakyReLU of `slope` applied to the output, or
// ACT_SUM: the output added to what the destination holds (post-ops)
enum { ACT_SUM = 2 };
static Prim *prim_new(const int *key, const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint,
                      dnnl_primitive_desc_t *pd_out, int act, float slope) {
    Prim *pr = fk_calloc(1, sizeof *pr);
    memcpy(pr->key, key, sizeof pr->key);
    // oneDNN's scratchpad in our arena, not a buffer per primitive kept for ever
    dnnl_primitive_attr_t attr;
    DN(dnnl_primitive_attr_create(&attr));
    DN(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (act) {
        dnnl_post_ops_t po;
        DN(dnnl_post_ops_create(&po));
        if (act == ACT_SUM)
            DN(dnnl_post_ops_append_sum(po, 1.0f));
        else
            DN(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, slope, 0.0f));
        DN(dnnl_primitive_attr_set_post_ops(attr, po));
        DN(dnnl_post_ops_destroy(po));
    }
    DN(dnnl_primitive_desc_create(pd_out, desc, attr, engine, hint));
    DN(dnnl_primitive_attr_destroy(attr));
    DN(dnnl_primitive_create(&pr->p, *pd_out));
    const dnnl_memory_desc_t *smd = pd_md(*pd_out, dnnl_query_scratchpad_md);
    if (smd && dnnl_memory_desc_get_size(smd) > 0) {
        DN(dnnl_memory_create(&pr->scratch, smd, engine, DNNL_MEMORY_NONE));
        pr->scratch_off = 0;
        pr->arena_bytes = (dnnl_memory_desc_get_size(smd) + 63) / 64 * 64;
    }
    pr->next = cache;
    cache = pr;
    return pr;
}

// ---------------------------------------------------------------------------
// matrix products (gemm.c's convolutions): c (M, N) = a (M, K) x b (K, N),
// row-major, overwritten or, with `acc`, added to c; `ta`, `tb`: a, b are
// stored as their transposes (K, M), (N, K); a and b are bf16 (uint16_t) when
// `bf16`, else fp32; c is fp32.

void cpu_matmul(float *c, const void *a, const void *b, int M, int K, int N, int ta, int tb, int acc, int bf16) {
    const int key[15] = {2, ta, M, K, N, bf16, omp_get_max_threads(), tb, acc};
    Prim *pr = prim_find(key);
    if (!pr) {
        dn_init();
        const dnnl_data_type_t t = bf16 ? dnnl_bf16 : dnnl_f32;
        const dnnl_dims_t da = {M, K}, db = {K, N}, dc = {M, N};
        dnnl_memory_desc_t ma, mb, mc;
        DN(dnnl_memory_desc_init_by_tag(&ma, 2, da, t, ta ? dnnl_ba : dnnl_ab));
        DN(dnnl_memory_desc_init_by_tag(&mb, 2, db, t, tb ? dnnl_ba : dnnl_ab));
        DN(dnnl_memory_desc_init_by_tag(&mc, 2, dc, dnnl_f32, dnnl_ab));
        dnnl_matmul_desc_t md;
        DN(dnnl_matmul_desc_init(&md, &ma, &mb, NULL, &mc));
        dnnl_primitive_desc_t pd;
        pr = prim_new(key, &md, NULL, &pd, acc ? ACT_SUM : 0, 0.0f);
        add_arg(pr, DNNL_ARG_SRC, ARG_IN, ma, pd_md(pd, dnnl_query_src_md));
        add_arg(pr, DNNL_ARG_WEIGHTS, ARG_IN, mb, pd_md(pd, dnnl_query_weights_md));
        add_arg(pr, DNNL_ARG_DST, ARG_OUT, mc, pd_md(pd, dnnl_query_dst_md));
        DN(dnnl_primitive_desc_destroy(pd));
    }
    void *ptr[3] = {(void *)a, (void *)b, c};
    prim_run(pr, ptr);
}

// ---------------------------------------------------------------------------
// precision

// 1: convolutions read bf16 copies of their inputs and weights (made by the
// reorders in front of the primitive) and write fp32 outputs and gradients;
// everything else (batch norm, activations, optimiser, clipping, the weights
// themselves) stays fp32.
static int use_bf16;

const char *cpu_set_precision(int p) {
    if (p == BACKEND_PRECISION_FP32) return use_bf16 = 0, NULL;
    if (p == BACKEND_PRECISION_TF32) return "TF32 is a GPU format (fp32 or bf16 here)";
    dn_init();
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16)
        return "this CPU has no AVX-512 BF16 instructions (or ONEDNN_MAX_CPU_ISA hides them); use fp32";
    use_bf16 = 1;
    return NULL;
}

// ---------------------------------------------------------------------------
// convolution and transposed convolution

enum { FWD, BWD_DATA, BWD_WEIGHTS };

typedef struct {
    int transposed, N, C, H, W, OC, K, S, P, bias;
    int OH, OW;
    int bf16;  // the primitive reads bf16 operands (conv_path decides)
    dnnl_dims_t src, wei, bia, dst, strides, pad_l, pad_r;
    CpuConvEq eq;  // the equivalent convolution (cpu.h): the own kernels' shape
} ConvShape;

static ConvShape conv_shape(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P, int bias) {
    ConvShape s = {.transposed = transposed, .N = N, .C = C, .H = H, .W = W, .OC = OC, .K = K, .S = S, .P = P,
                   .bias = bias};
    s.OH = transposed ? convt_out_size(H, K, S, P) : conv_out_size(H, K, S, P);
    s.OW = transposed ? convt_out_size(W, K, S, P) : conv_out_size(W, K, S, P);
    s.src[0] = N, s.src[1] = C, s.src[2] = H, s.src[3] = W;
    s.dst[0] = N, s.dst[1] = OC, s.dst[2] = s.OH, s.dst[3] = s.OW;
    s.wei[0] = OC, s.wei[1] = C, s.wei[2] = K, s.wei[3] = K;  // oneDNN: (out, in, kh, kw) for both
    s.bia[0] = OC;
    s.strides[0] = s.strides[1] = S;
    s.pad_l[0] = s.pad_l[1] = P;
    s.eq = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
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

// Any layout, in bf16 when `bf16`, else fp32 (md_any).
static dnnl_memory_desc_t md_any_in(int ndims, const dnnl_dims_t dims, int bf16) {
    if (!bf16) return md_any(ndims, dims);
    dnnl_memory_desc_t md;
    DN(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_bf16, dnnl_format_tag_any));
    return md;
}

// With bf16 the primitive's operands are bf16 and its results fp32: forward
// src, weights -> dst; backward data diff_dst, weights -> diff_src; backward
// weights src, diff_dst -> diff_weights, diff_bias.
// `dst_user`: the forward's output in this backend's layout (an output added
// to by a sum post-op must be written where it lies).
static void conv_desc(const ConvShape *s, int which, int with_bias, int dst_user, void *desc) {
    const int h = s->bf16;
    dnnl_memory_desc_t src = md_any_in(4, s->src, h && which != BWD_DATA);
    dnnl_memory_desc_t wei = md_any_in(4, s->wei, h && which != BWD_WEIGHTS);
    dnnl_memory_desc_t dst = dst_user ? md_act(s->N, s->OC, s->OH, s->OW) : md_any_in(4, s->dst, h && which != FWD);
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
static Prim *conv_prim(const ConvShape *s, int which, int with_bias, int act, float slope) {
    int bits = 0;
    memcpy(&bits, &slope, sizeof bits);
    const int key[15] = {s->transposed, which, s->N, s->C, s->H, s->W, s->OC, s->K, s->S, s->P, with_bias,
                         omp_get_max_threads(), act, act ? bits : 0, s->bf16};
    Prim *pr = prim_find(key);
    if (pr) return pr;
    dn_init();
    union { dnnl_convolution_desc_t c; dnnl_deconvolution_desc_t d; } fd, bd;
    conv_desc(s, FWD, with_bias, which == FWD && act == ACT_SUM, &fd);
    dnnl_primitive_desc_t fpd, pd;
    if (which == FWD) {
        pr = prim_new(key, &fd, NULL, &pd, act, slope);
        pr->forward = 1;
        add_arg(pr, DNNL_ARG_SRC, ARG_IN, md_act(s->N, s->C, s->H, s->W), pd_md(pd, dnnl_query_src_md));
        add_arg(pr, DNNL_ARG_WEIGHTS, ARG_IN, md_weights(s), pd_md(pd, dnnl_query_weights_md));
        if (with_bias) add_arg(pr, DNNL_ARG_BIAS, ARG_IN, md_tag(1, s->bia, dnnl_x), dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1));
        add_arg(pr, DNNL_ARG_DST, ARG_OUT, md_act(s->N, s->OC, s->OH, s->OW), pd_md(pd, dnnl_query_dst_md));
        DN(dnnl_primitive_desc_destroy(pd));
        return pr;
    }
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));  // the hint backward needs
    conv_desc(s, which, with_bias, 0, &bd);
    pr = prim_new(key, &bd, fpd, &pd, 0, 0.0f);
    if (which == BWD_DATA) {
        add_arg(pr, DNNL_ARG_DIFF_DST, ARG_IN, md_act(s->N, s->OC, s->OH, s->OW), pd_md(pd, dnnl_query_diff_dst_md));
        add_arg(pr, DNNL_ARG_WEIGHTS, ARG_IN, md_weights(s), pd_md(pd, dnnl_query_weights_md));
        add_arg(pr, DNNL_ARG_DIFF_SRC, act == ACT_SUM ? ARG_ACC : ARG_OUT, md_act(s->N, s->C, s->H, s->W),
                pd_md(pd, dnnl_query_diff_src_md));
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

// ---------------------------------------------------------------------------
// Which code runs a pass: oneDNN's convolution primitives, LIBXSMM's
// (xsmm.c) or a matrix product (gemm.c). A fixed rule, from the per-pass
// figures of `make bench-conv` (docs/performance.md); never timed during a
// run, so the same shape and thread count always take the same path and the
// bits repeat. FAKEIT_CPU_CONV=dnnl, xsmm or gemm forces one wherever it can
// run (the tests hold each to the reference on any CPU).
enum { PATH_DNNL, PATH_XSMM, PATH_GEMM, PATH_OWN, PATH_FLIP, PATH_DOT };
enum { SLOT_FLIP = 4 };  // the flipped weights' scratch slot (cpu.h): kernels.c's, never used in the same pass

static int conv_forced(void) {  // -1: the rule
    static int e = -2;
    if (e == -2) {
        const char *f = getenv("FAKEIT_CPU_CONV");
        e = !f || !*f ? -1 : !strcmp(f, "dnnl") ? PATH_DNNL : !strcmp(f, "xsmm") ? PATH_XSMM
                           : !strcmp(f, "gemm") ? PATH_GEMM : !strcmp(f, "own") ? PATH_OWN : -1;
        if (f && *f && e < 0)
            fprintf(stderr,
                    "fakeit: FAKEIT_CPU_CONV=%s is not dnnl, xsmm, gemm or own: ignored, the backend's rule decides\n",
                    f);
    }
    return e;
}

static int xsmm_can(const ConvShape *s) {
#ifdef FAKEIT_HAVE_XSMM
    return !use_bf16 && cpu_xsmm_can(s->transposed, s->N, s->C, s->H, s->W, s->OC, s->K, s->S, s->P);
#else
    (void)s;
    return 0;
#endif
}

// Sets s->bf16 (whether the pass reads bf16 operands) and returns the path.
//
// Measured per pass with `make bench-conv` on two hosts (docs/performance.md):
// an Intel AVX-512 host with AMX (also with oneDNN held to AVX2 there) and an
// AMD EPYC (Zen 5) with AVX-512 BF16 and no AMX, whose figures replace the
// earlier emulation of a bf16 CPU without AMX (oneDNN held to AVX-512 BF16 on
// the AMX host). The rule is, for the equivalent convolution's pass (xsmm.c:
// a transposed convolution's forward is its input gradient):
// - a matrix product where its output is one pixel (the critic's last layer,
//   the generator's first);
// - fakeit's own AVX-512 kernel (kernels.c) for every fp32 weight gradient it
//   can run (4x4 stride-2 layers: the critic's and the generator's), the 4x4
//   outputs included, where it beats the matrix product on both hosts (the
//   critic's 256 -> 512: 14.3 against 15.8 ms on the Intel host, 9.2-9.8
//   against 10.6-14.8 on the AMD one; oneDNN 19.1 and 11.4-14.3); its bf16 form
//   (vdpbf16ps) for those weight gradients in bf16 without AMX, where oneDNN
//   and the product run them at under 60 % of the bf16 peak (AMD host: the
//   critic's 64 -> 128 6.2 against oneDNN's 8.8 ms, 128 -> 256 5.6 against
//   8.9, 256 -> 512 5.6 against the product's 9.2); with AMX the product and
//   oneDNN keep them (not measured against it there);
// - a matrix product where the output is at most 4x4 (the critic's 8x8 ->
//   4x4 layer, the generator's 4x4 -> 8x8) for the other passes, except the
//   equivalent forward in bf16 without AMX, where oneDNN's avx512_core_bf16
//   kernel runs it 1.5x faster than the product (and loses the input
//   gradient to it by as much);
// - in bf16 with AMX also the weight gradient up to 8x8 outputs (oneDNN 2.6's
//   AMX weight gradients run at a third of what its forward does);
// - layers with an image side (fewer than 16 channels: the critic's first,
//   the generator's last) run in fp32 even in bf16, where the conversions
//   cost more than the bf16 products save, except for their input-gradient
//   kind on AMX and their forward kind without it where the output is more
//   than a pixel (the critic's first forward, the generator's last input
//   gradient: oneDNN's bf16 kernel 0.74-0.86 ms against 1.12-1.26 in fp32 on
//   the AMD host, 2026-12-07; the other two kinds 2.4-5.1 against 1.2-1.5;
//   the critic's last layer, one output pixel, stays on the fp32 dot
//   product below, 2.1 against 4-16 ms in bf16); the input-gradient kind runs
//   as a matrix product on AVX-512 in fp32 (oneDNN runs it at an eighth of
//   the peak), not on AVX2 where oneDNN wins;
// - the own kernels also for the fp32 forward and input gradient of the
//   equivalent convolution wherever they can run (4x4, stride 2, outputs 8k
//   wide or 2 or 4 wide): the critic's forwards and input gradients and the
//   generator's transposed forwards and input gradients of 64 -> 128,
//   128 -> 256 and 256 -> 512. Interleaved on the AMD host (2026-12-07) they
//   ran the critic's forwards in 11.0, 10.6 and 11.6 ms against oneDNN's /
//   the product's 12.1, 12.6 and 14.6, its input gradients in 12.9, 12.0 and
//   12.7 against 13.0 (the earlier own strip kernel), 12.9 and 14.5; this
//   comes before the product at 4x4 outputs. Their bf16 form (vdpbf16ps) runs
//   those kinds in bf16 without AMX only at 8x8 outputs (best of 3
//   interleaved: 5.9-6.7 ms against oneDNN's 6.7-7.8); at 16x16 it ties with
//   oneDNN (5.9-6.0 against 5.9-6.1) except on the critic's input gradient,
//   which added to dX then (7.3-7.5 against 6.4; written, as Net now has it,
//   5.63 against 5.67, and the forwards 5.35-5.37 against 5.54-5.72: inside
//   the host's noise, so not taken); at 4x4 (the critic's 256 -> 512, the
//   generator's mirror) the input-gradient kind too, since the packed bf16
//   weights are kept whatever their size and packed by gathers (kernels.c):
//   6.0-6.2 ms against the product's 6.95-7.1 (bench_conv, the weights
//   rewritten before each call, 2026-12-07), not the forward kind (6.15
//   against oneDNN's 5.3);
// - the fp32 input gradient of a stride-1 convolution with channel blocks on
//   both sides (the super-resolution net's body) as oneDNN's forward
//   convolution of the output gradient with the weights transposed and
//   flipped (padding K - 1 - P), its result added by a sum post-op: oneDNN's
//   forward kernels run at 75-81 % of the peak there, its backward-data ones
//   at 60-64 %, and the sum saves the reorder that adds the gradient back;
// - a convolution whose kernel covers its whole input (one output pixel, no
//   padding: the critic's last layer) with at most 16 output channels, in
//   fp32, as a dot product per sample, an axpy and a sum over the batch
//   (kernels.c): oneDNN took 0.2-0.3 ms per pass for the critic's 512 x 4 x
//   4 -> 1, 32 passes per iteration;
// - on 8-channel blocks (a CPU without AVX-512, or oneDNN held to AVX2), the
//   own kernels' AVX2 form for the fp32 weight gradient up to 8x8 outputs
//   and the input gradient at 4x4 outputs (the critic's 256 -> 512 and the
//   generator's mirror): oneDNN's AVX2 matrix product allocates a 2.5 MB
//   workspace per thread and call, fresh pages each time under the
//   program's 1 MB mmap threshold (util.h), and ran the critic's 256 -> 512
//   weight gradient in 52-53 ms against the own kernel's 23.5; the 128 ->
//   256 one 24.8-25.1 (oneDNN) against 22.4-23.8; the 4x4 input gradient
//   26.5-26.8 against 25.5-26.1 (AMD host, oneDNN held to AVX2, interleaved,
//   2026-12-07). Not taken: the 16x16 weight gradient (own 31.5-33.2
//   against oneDNN's 24.3), the forwards and the input gradients at 8x8 and
//   16x16 (own 22-23 against oneDNN's 21-22), and the 4x4 forward, which
//   bench_conv saw tie with the product (27.2-27.4 against 25.5-26.9 ms) and
//   the iteration run slower (the critic's 256 -> 512 layer 1,062-1,073
//   against 995-1,032 ms with the product). That forward runs on oneDNN's
//   convolution on 8-channel blocks (the layer 786-811 against 792-831 ms
//   with the product, and no workspace per call);
// - oneDNN everywhere else, and for every pass under 2^25 multiply-adds.
// LIBXSMM (xsmm.c) is never chosen by the rule: it blocks channels by 64
// (32 on AVX2) where this backend blocks by 16 (8), and with the reorders
// its layout needs it is slower than oneDNN on every pass measured; it runs
// only where FAKEIT_CPU_CONV=xsmm asks for it.
static int conv_path(int which, ConvShape *s) {
    // the equivalent convolution: its pass, output pixels, whether a side is an image
    enum { EQ_FWD, EQ_BWD, EQ_UPD };
    const int eq = which == BWD_WEIGHTS ? EQ_UPD : (which == FWD) != s->transposed ? EQ_FWD : EQ_BWD;
    const long out_pixels = s->transposed ? (long)s->H * s->W : (long)s->OH * s->OW;
    const int image = s->C < 16 || s->OC < 16;
    static int isa = -1;
    if (isa < 0) dn_init(), isa = (int)dnnl_get_effective_cpu_isa();
    const int amx = (isa & dnnl_cpu_isa_avx512_core_amx) == dnnl_cpu_isa_avx512_core_amx;
    const int avx512 = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    s->bf16 = use_bf16 && (!image || (amx ? eq == EQ_BWD : eq == EQ_FWD && out_pixels > 1));
    const int own = s->bf16 && eq == EQ_UPD ? cpu_own_can_upd_bf16(&s->eq)
                    : (s->bf16 && !cpu_own_bf16()) ? 0
                    : eq == EQ_BWD ? cpu_own_can(&s->eq) || (!s->bf16 && cpu_own_can_image(&s->eq))
                    : eq == EQ_FWD ? cpu_own_can_fwd(&s->eq) : cpu_own_can_upd(&s->eq);
    const int dot = !s->transposed && !s->bf16 && cpu_own_can_dot(&s->eq);
    const int forced = conv_forced();
    if (forced == PATH_XSMM) return xsmm_can(s) ? PATH_XSMM : PATH_DNNL;
    if (forced == PATH_OWN) return own ? PATH_OWN : dot ? PATH_DOT : PATH_DNNL;
    if (forced >= 0) return forced;
    if (dot) return PATH_DOT;
    // small passes stay on oneDNN: below about 2^25 multiply-adds the columns
    // and the product's set-up cost more than they save (the demo's 4x4
    // layers, 2^24, ran 20 % slower as products; the reference's one-pixel
    // generator layer, 2^25.6, twice as fast)
    const double macs = (double)s->N * out_pixels * s->C * s->OC * s->K * s->K;
    if (macs < 33554432.0) return PATH_DNNL;
    if (out_pixels == 1) return PATH_GEMM;
    if (own && avx512 && BLK == 16 &&
        (!s->bf16 || (!amx && (eq == EQ_UPD || (out_pixels <= 64 && (eq == EQ_BWD || out_pixels > 16))))))
        return PATH_OWN;
    if (own && BLK == 8 && !s->bf16 && eq != EQ_FWD && out_pixels <= (eq == EQ_UPD ? 64 : 16)) return PATH_OWN;
    if (out_pixels <= 16 && (eq != EQ_FWD || (!s->bf16 && BLK == 16) || amx)) return PATH_GEMM;
    if (s->bf16 && amx && eq == EQ_UPD && out_pixels <= 64) return PATH_GEMM;
    if (image && eq == EQ_BWD && !s->bf16 && avx512) return PATH_GEMM;
    if (which == BWD_DATA && !s->transposed && s->S == 1 && s->P < s->K && !s->bf16 &&
        cpu_blocked(s->C, s->H, s->W) && cpu_blocked(s->OC, s->OH, s->OW))
        return PATH_FLIP;
    return PATH_DNNL;
}

// The backend's layout of (N, OC, OH, OW) is (N, OC/B, OH OW, B): B = BLK
// when blocked, 1 when plain.

// out += b per channel
static void bias_add(float *out, const float *b, int N, int OC, int OH, int OW) {
    const int B = cpu_blocked(OC, OH, OW) ? BLK : 1, OB = OC / B, OHW = OH * OW;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int ob = 0; ob < OB; ob++) {
            float *o = out + ((size_t)n * OB + ob) * OHW * B;
            for (int i = 0; i < OHW; i++)
                for (int l = 0; l < B; l++) o[(size_t)i * B + l] += b[ob * B + l];
        }
}

// db (OC) += the sums of dout per channel, in a fixed order
static void bias_grad(float *db, const float *dout, int N, int OC, int OH, int OW) {
    const int B = cpu_blocked(OC, OH, OW) ? BLK : 1, OB = OC / B, OHW = OH * OW;
#pragma omp parallel for schedule(static)
    for (int ob = 0; ob < OB; ob++) {
        double sum[MAX_BLK] = {0};
        for (int n = 0; n < N; n++) {
            const float *d = dout + ((size_t)n * OB + ob) * OHW * B;
            for (int i = 0; i < OHW; i++)
                for (int l = 0; l < B; l++) sum[l] += d[(size_t)i * B + l];
        }
        for (int l = 0; l < B; l++) db[ob * B + l] += (float)sum[l];
    }
}

// dx (+)= (acc) the equivalent convolution's input gradient on the own kernels
static void own_backward_data(float *dx, const float *dy, const float *w, const ConvShape *s, int acc) {
    if (cpu_own_can_image(&s->eq)) cpu_own_image_backward_data(dx, dy, w, &s->eq, acc);
    else cpu_own_backward_data(dx, dy, w, &s->eq, acc, s->bf16);
}

static void conv_fwd(int transposed, float *out, const float *inp, const float *w, const float *b,
                     int N, int C, int H, int W, int OC, int K, int S, int P, int act, float slope) {
    ConvShape s = conv_shape(transposed, N, C, H, W, OC, K, S, P, b != NULL);
    const int path = conv_path(FWD, &s);
    if (path != PATH_DNNL) {
#ifdef FAKEIT_HAVE_XSMM
        if (path == PATH_XSMM) cpu_xsmm_forward(transposed, out, inp, w, N, C, H, W, OC, K, S, P);
#endif
        if (path == PATH_GEMM) cpu_gemm_forward(transposed, out, inp, w, N, C, H, W, OC, K, S, P, s.bf16);
        if (path == PATH_DOT) cpu_own_dot_forward(out, inp, w, &s.eq);
        if (path == PATH_OWN && !transposed) {  // the own forward adds bias and activation itself
            cpu_own_forward(out, inp, w, b, &s.eq, 0, act, slope, s.bf16);
            return;
        }
        if (path == PATH_OWN)  // a transposed convolution's forward: the equivalent's input gradient
            own_backward_data(out, inp, w, &s, 0);
        const size_t n = (size_t)N * OC * s.OH * s.OW;
        if (b) bias_add(out, b, N, OC, s.OH, s.OW);
        if (act && slope == 0.0f)
            cpu_relu_forward(out, out, n);
        else if (act)
            cpu_lrelu_forward(out, out, n, slope);
        return;
    }
    Prim *pr = conv_prim(&s, FWD, b != NULL, act, slope);
    void *ptr[4] = {(void *)inp, (void *)w, (void *)b, out};
    if (!b) ptr[2] = out;  // no bias argument: dst is the third
    prim_run(pr, ptr);
}

// dinp (+)= (acc) the input gradient of a stride-1 convolution (s), computed
// as the forward convolution of dout (N, OC, OH, OW) with the weights
// transposed to (C, OC, K, K) and flipped in both axes, padding K - 1 - P on
// each side (which gives H x W back), its result added to dinp by the sum
// post-op.
static void flipped_backward_data(float *dinp, const float *dout, const float *w, const ConvShape *s, int acc) {
    const int C = s->C, OC = s->OC, K = s->K;
    float *wf = cpu_scratch(SLOT_FLIP, (size_t)C * OC * K * K);
#pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < C; c++)
        for (int o = 0; o < OC; o++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++)
                    wf[(((size_t)c * OC + o) * K + kh) * K + kw] =
                        w[(((size_t)o * C + c) * K + (K - 1 - kh)) * K + (K - 1 - kw)];
    ConvShape f = conv_shape(0, s->N, OC, s->OH, s->OW, C, K, 1, K - 1 - s->P, 0);
    void *ptr[3] = {(void *)dout, wf, dinp};
    prim_run(conv_prim(&f, FWD, 0, acc ? ACT_SUM : 0, 0.0f), ptr);
}

// dinp: added to (acc 1) or written (acc 0, backend.h); dw and db added to
static void conv_bwd(int transposed, float *dinp, float *dw, float *db, const float *dout, const float *inp,
                     const float *w, int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    ConvShape s = conv_shape(transposed, N, C, H, W, OC, K, S, P, db != NULL);
    if (dinp) {
        const int path = conv_path(BWD_DATA, &s);
        if (path == PATH_GEMM) {
            cpu_gemm_backward_data(transposed, dinp, dout, w, N, C, H, W, OC, K, S, P, s.bf16, acc);
        } else if (path == PATH_OWN) {  // a transposed convolution's input gradient is the equivalent's forward
            if (transposed) cpu_own_forward(dinp, dout, w, NULL, &s.eq, acc, 0, 0.0f, s.bf16);
            else own_backward_data(dinp, dout, w, &s, acc);
        } else if (path == PATH_DOT) {
            cpu_own_dot_backward_data(dinp, dout, w, &s.eq, acc);
        } else if (path == PATH_FLIP) {
            flipped_backward_data(dinp, dout, w, &s, acc);
#ifdef FAKEIT_HAVE_XSMM
        } else if (path == PATH_XSMM) {  // adds
            if (!acc) memset(dinp, 0, (size_t)N * C * H * W * sizeof(float));
            cpu_xsmm_backward_data(transposed, dinp, dout, w, N, C, H, W, OC, K, S, P);
#endif
        } else {  // the primitive writes diff_src, or adds it through the arena (ACT_SUM)
            void *ptr[3] = {(void *)dout, (void *)w, dinp};
            prim_run(conv_prim(&s, BWD_DATA, 0, acc ? ACT_SUM : 0, 0.0f), ptr);
        }
    }
    const int path = conv_path(BWD_WEIGHTS, &s);
    if (path != PATH_DNNL && (dw || db)) {
        if (dw && path == PATH_DOT) cpu_own_dot_backward_weights(dw, dout, inp, &s.eq);
        if (dw && path == PATH_GEMM) cpu_gemm_backward_weights(transposed, dw, dout, inp, N, C, H, W, OC, K, S, P, s.bf16);
        if (dw && path == PATH_OWN)  // a transposed convolution's is its equivalent's with dY and X swapped
            (s.bf16 ? cpu_own_backward_weights_bf16 : cpu_own_backward_weights)(dw, transposed ? inp : dout,
                                                                                 transposed ? dout : inp, &s.eq);
#ifdef FAKEIT_HAVE_XSMM
        if (dw && path == PATH_XSMM) cpu_xsmm_backward_weights(transposed, dw, dout, inp, N, C, H, W, OC, K, S, P);
#endif
        if (db) bias_grad(db, dout, N, OC, s.OH, s.OW);
    } else if (dw || db) {
        // the weight gradient always comes with the primitive; a NULL dw is computed and dropped
        void *ptr[4] = {(void *)inp, (void *)dout, dw, db};
        prim_run(conv_prim(&s, BWD_WEIGHTS, db != NULL, 0, 0.0f), ptr);
    }
}

void cpu_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                               int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_fwd(0, out, inp, w, b, N, C, H, W, OC, K, S, P, 0, 0.0f);
}
void cpu_conv2d_act_forward(float *out, const float *inp, const float *w, const float *b,
                            int N, int C, int H, int W, int OC, int K, int S, int P, float slope) {
    conv_fwd(0, out, inp, w, b, N, C, H, W, OC, K, S, P, 1, slope);
}
void cpu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                const float *w, int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    conv_bwd(0, dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P, acc);
}
void cpu_convt2d_forward(float *out, const float *inp, const float *w, const float *b,
                                int N, int C, int H, int W, int OC, int K, int S, int P) {
    conv_fwd(1, out, inp, w, b, N, C, H, W, OC, K, S, P, 0, 0.0f);
}
void cpu_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                 const float *w, int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    conv_bwd(1, dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P, acc);
}
