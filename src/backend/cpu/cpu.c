// cpu.c: the fast CPU backend's table, memory and scratch buffers.
//
// The backend: Convolutions and transposed convolutions run on oneDNN
// (libdnnl, C API), as its primitives or as im2col and a oneDNN matrix
// product, whichever a fixed rule says is faster for the pass (dnnl.c,
// gemm.c; LIBXSMM's when forced, xsmm.c); everything else is C written for
// oneDNN's blocked activation layout, vectorised and threaded with OpenMP.
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
//
// Files: dnnl.c (oneDNN primitives, convolutions, the rule), gemm.c
// (convolutions as matrix products), xsmm.c (LIBXSMM's), blocked.c (the blocked
// layout, batch norm), plain.c (ops run on plain copies), vector.c
// (element-wise ops and optimisers), cpu.h (what they share).
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

float *cpu_aligned(size_t bytes) {
    size_t n = (bytes + 63) / 64 * 64;
    float *p = aligned_alloc(64, n ? n : 64);
    FK_CHECK(p != NULL, "out of memory (%zu bytes)", n);
    memset(p, 0, n ? n : 64);
    return p;
}

// Scratch buffers, one per slot, grown to the largest request and kept, so
// that the ops run on plain copies allocate nothing once a network's shapes
// have been seen.
static struct {
    float *p;
    size_t n;
} scratch[CPU_SCRATCH_SLOTS];

float *cpu_scratch(int slot, size_t n) {
    FK_CHECK(slot >= 0 && slot < CPU_SCRATCH_SLOTS, "scratch slot %d", slot);
    if (n > scratch[slot].n) {
        free(scratch[slot].p);
        scratch[slot].p = cpu_aligned(n * sizeof(float));
        scratch[slot].n = n;
    }
    return scratch[slot].p;
}

float *cpu_scratch_zero(int slot, size_t n) {
    float *p = cpu_scratch(slot, n);
    if (n) memset(p, 0, n * sizeof(float));
    return p;
}

// ---------------------------------------------------------------------------
// Kept copies of weights (cpu.h). A block Net declares as its parameters is
// written only through this table's entries, and each entry that writes
// memory marks what it wrote here first; a copy whose source it touches is
// remade on its next use. Few blocks and copies (a layer's weights in one or
// two layouts), so plain lists.

typedef struct WCopy {
    struct WCopy *next;
    const float *w;     // the source weights, inside a declared block
    size_t n;           // their floats
    const void *owner;  // who made it, standing for its layout
    void *buf;
    size_t bytes;
    int stale;
} WCopy;

typedef struct Block {
    struct Block *next;
    const float *p;
    size_t n;
    WCopy *copies;
} Block;

static Block *blocks;

static void cpu_declare_params(float *p, size_t n) {
    if (!p || !n) return;
    Block *b = fk_calloc(1, sizeof *b);
    b->p = p, b->n = n, b->next = blocks;
    blocks = b;
}

// Drops the block that starts at p, with its copies (at its free).
static void drop_block(const float *p) {
    for (Block **bp = &blocks; *bp; bp = &(*bp)->next)
        if ((*bp)->p == p) {
            Block *b = *bp;
            *bp = b->next;
            for (WCopy *c = b->copies, *next; c; c = next) next = c->next, free(c->buf), free(c);
            free(b);
            return;
        }
}

void cpu_written(const void *p, size_t bytes) {
    const char *lo = p, *hi = lo + bytes;
    for (Block *b = blocks; b; b = b->next) {
        if (hi <= (const char *)b->p || lo >= (const char *)(b->p + b->n)) continue;
        for (WCopy *c = b->copies; c; c = c->next)
            if (hi > (const char *)c->w && lo < (const char *)(c->w + c->n)) c->stale = 1;
    }
}

void *cpu_weight_copy(const float *w, size_t n, const void *owner, size_t bytes, int *stale) {
    Block *b = blocks;
    while (b && !(w >= b->p && w + n <= b->p + b->n)) b = b->next;
    if (!b) return NULL;
    WCopy *c = b->copies;
    while (c && !(c->w == w && c->n == n && c->owner == owner && c->bytes == bytes)) c = c->next;
    if (!c) {
        c = fk_calloc(1, sizeof *c);
        c->w = w, c->n = n, c->owner = owner, c->bytes = bytes, c->stale = 1;
        c->buf = cpu_aligned(bytes);
        c->next = b->copies;
        b->copies = c;
    }
    *stale = c->stale;
    c->stale = 0;
    return c->buf;
}

// ---------------------------------------------------------------------------
// memory: every entry that writes marks what it writes (cpu_written)

static float *cpu_alloc(size_t n) {
    float *p = cpu_aligned(n * sizeof(float));
    cpu_written(p, n * sizeof(float));
    return p;
}
static void cpu_free(float *p) {
    drop_block(p);
    host_free(p);
}
static void cpu_copy(float *dst, const float *src, size_t n) {
    cpu_written(dst, n * sizeof(float));
    host_copy(dst, src, n);
}
static void cpu_copy_bytes(void *dst, const void *src, size_t bytes) {
    cpu_written(dst, bytes);
    host_copy_bytes(dst, src, bytes);
}
static void cpu_zero(float *p, size_t n) {
    cpu_written(p, n * sizeof(float));
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = 0.0f;
}


const Backend backend_cpu = {
    .name = "cpu",
    .description = "fast CPU: oneDNN convolutions and matrix products, blocked activation layout, vectorised C for the rest",
    .host_memory = 1,
    .blocked = cpu_blocked,
    .to_native = cpu_to_native,
    .to_plain = cpu_to_plain,
    .set_threads = host_set_threads,
    .get_threads = host_get_threads,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .copy = cpu_copy,
    .upload_bytes = cpu_copy_bytes,
    .zero = cpu_zero,
    .conv2d_forward = cpu_conv2d_forward,
    .conv2d_act_forward = cpu_conv2d_act_forward,
    .conv2d_backward = cpu_conv2d_backward,
    .convt2d_forward = cpu_convt2d_forward,
    .convt2d_backward = cpu_convt2d_backward,
    .batchnorm_forward_train = cpu_batchnorm_forward_train,
    .batchnorm_backward_train = cpu_batchnorm_backward_train,
    .batchnorm_forward_eval = cpu_batchnorm_forward_eval,
    .batchnorm_backward_eval = cpu_batchnorm_backward_eval,
    .batchnorm_stats = cpu_batchnorm_stats,
    .batchnorm_forward_stats = cpu_batchnorm_forward_stats,
    .batchnorm_backward_stats = cpu_batchnorm_backward_stats,
    .batchnorm_backward_apply = cpu_batchnorm_backward_apply,
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
    .tanh_forward = cpu_tanh_forward,
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
    .l1_loss_backward = cpu_l1_loss_backward,
    .mse_loss_forward = mse_loss_forward,
    .mse_loss_backward = mse_loss_backward,
    .rmsprop_step = cpu_rmsprop_step,
    .adam_step = cpu_adam_step,
    .clip_weights = cpu_clip_weights,
    .images_from_bytes = images_from_bytes,
    .lerp = lerp,
    .augment_forward = augment_forward,
    .augment_backward = augment_backward,
    .set_precision = cpu_set_precision,
    .declare_params = cpu_declare_params,
};

