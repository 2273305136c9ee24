// cuda.cu: the CUDA backend's table, device, memory and precision.
//
// The backend: convolutions and transposed convolutions through cuDNN 9
// (conv.cu), linear layers through cuBLAS (linear.cu), everything else in
// kernels written here, one file per op family as in src/ops/: norm.cu,
// activation.cu (with element-wise ops), resample.cu, loss.cu, optim.cu
// (with the data path's byte-to-float gather and the penalty's mix).
//
// Device choice: device 0, or FAKEIT_CUDA_DEVICE; under mpirun the n-th
// process on a host takes its GPU n (modulo their count). The backend is offered
// (backend_all) only when a device answers; `fakeit backends` says why not
// otherwise.
//
// Reproducibility: every reduction written here runs in a fixed order
// (cu_block_sum's tree, one block per output), cuDNN's algorithms are chosen
// by its heuristics (no timing) among the deterministic ones, so the same
// device, driver and precision give the same bits run to run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda.h"

cudaStream_t cu_stream;
int cu_precision = BACKEND_PRECISION_FP32;
static cudnnHandle_t dnn;
static cublasHandle_t blas;
static int device = -1;
static cudaDeviceProp prop;

void cu_fail(const char *lib, const char *what, const char *call, const char *file, int line) {
    fk_error("%s error on the GPU: %s (%s at %s:%d)", lib, what, call, file, line);
    exit(1);
}

// NULL when a device can be used, else why not (cached: asked once).
static const char *cu_unavailable(void) {
    static int asked;
    static char why[256];
    if (asked) return why[0] ? why : NULL;
    asked = 1;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice)
            snprintf(why, sizeof why, "no NVIDIA GPU with a driver for CUDA %d.%d here (%s)", CUDART_VERSION / 1000,
                     CUDART_VERSION % 1000 / 10, cudaGetErrorString(e));
        else
            snprintf(why, sizeof why, "the NVIDIA driver does not answer: %s", cudaGetErrorString(e));
        cudaGetLastError();  // clear the sticky status for later queries
        return why;
    }
    if (n == 0) return snprintf(why, sizeof why, "no NVIDIA GPU in this machine"), why;
    // under mpirun one process per GPU: the n-th process on this host takes GPU n mod count
    const char *env = getenv("FAKEIT_CUDA_DEVICE"), *local = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    int d = env ? atoi(env) : local ? atoi(local) % n : 0;
    if (d < 0 || d >= n) return snprintf(why, sizeof why, "FAKEIT_CUDA_DEVICE=%s: this machine has %d GPU(s)", env, n), why;
    if ((e = cudaGetDeviceProperties(&prop, d)) != cudaSuccess)
        return snprintf(why, sizeof why, "GPU %d: %s", d, cudaGetErrorString(e)), why;
    device = d;
    return NULL;
}

static void cu_init(void) {
    if (cu_stream) return;
    const char *why = cu_unavailable();
    if (why) {
        fk_error("the cuda backend cannot run: %s", why);
        exit(1);
    }
    CU_CHECK(cudaSetDevice(device));
    CU_CHECK(cudaStreamCreateWithFlags(&cu_stream, cudaStreamNonBlocking));
    DNN_CHECK(cudnnCreate(&dnn));
    DNN_CHECK(cudnnSetStream(dnn, cu_stream));
    BLAS_CHECK(cublasCreate(&blas));
    BLAS_CHECK(cublasSetStream(blas, cu_stream));
    BLAS_CHECK(cublasSetMathMode(blas, CUBLAS_PEDANTIC_MATH));  // fp32 exactly, until set_precision says otherwise
    cu_workspace(0);
}

cudnnHandle_t cu_dnn(void) { return cu_init(), dnn; }
cublasHandle_t cu_blas(void) { return cu_init(), blas; }

// ---------------------------------------------------------------------------
// memory

// Bytes held now and at most, counting cu_malloc's blocks; their sizes are
// kept in a list (a process holds tens of blocks: networks, buffers, scratch).
static size_t held, held_peak;
static struct Block {
    void *p;
    size_t n;
} *blocks;
static size_t n_blocks, cap_blocks;

static void note_size(void *p, size_t n) {
    if (n_blocks == cap_blocks) {
        cap_blocks = cap_blocks ? 2 * cap_blocks : 64;
        struct Block *b = (struct Block *)fk_malloc(cap_blocks * sizeof *b);
        if (n_blocks) memcpy(b, blocks, n_blocks * sizeof *b);
        free(blocks);
        blocks = b;
    }
    blocks[n_blocks].p = p, blocks[n_blocks].n = n;
    n_blocks++;
}

static size_t forget_size(void *p) {
    for (size_t i = 0; i < n_blocks; i++)
        if (blocks[i].p == p) {
            const size_t n = blocks[i].n;
            blocks[i] = blocks[--n_blocks];
            return n;
        }
    return 0;
}

static size_t cu_peak_bytes(void) { return held_peak; }

void cu_release(void *p) {
    if (!p) return;
    CU_CHECK(cudaStreamSynchronize(cu_stream));  // ops in flight may still read it
    CU_CHECK(cudaFree(p));
    held -= forget_size(p);
}

void *cu_malloc(size_t bytes, const char *what) {
    cu_init();
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 16);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        size_t free_b = 0, total = 0;
        cudaMemGetInfo(&free_b, &total);
        fk_error("the GPU (%s) is out of memory: %s needs %.1f MiB, %.1f MiB of %.1f MiB are free; "
                 "try a smaller --batch, a smaller image size or --tile for upscale",
                 prop.name, what, bytes / 1048576.0, free_b / 1048576.0, total / 1048576.0);
        exit(1);
    }
    CU_CHECK(e);
    note_size(p, bytes);
    held += bytes;
    if (held > held_peak) held_peak = held;
    return p;
}

static float *cu_alloc(size_t n) {
    float *p = (float *)cu_malloc(n * sizeof(float), "a tensor");
    CU_CHECK(cudaMemsetAsync(p, 0, (n ? n : 1) * sizeof(float), cu_stream));
    return p;
}

static void cu_free(float *p) { cu_release(p); }

static void cu_upload(float *dst, const float *src, size_t n) {
    if (n) CU_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyHostToDevice, cu_stream));
    // pageable source: the copy has taken the bytes when the call returns
}

static void cu_upload_bytes(void *dst, const void *src, size_t bytes) {
    cu_init();
    if (bytes) CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cu_stream));
}

static void cu_download(float *dst, const float *src, size_t n) {
    if (!n) return;
    CU_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToHost, cu_stream));
    CU_CHECK(cudaStreamSynchronize(cu_stream));
}

static void cu_copy(float *dst, const float *src, size_t n) {
    if (n && dst != src) CU_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, cu_stream));
}

static void cu_zero(float *p, size_t n) {
    if (n) CU_CHECK(cudaMemsetAsync(p, 0, n * sizeof(float), cu_stream));
}

static struct {
    void *p;
    size_t n;
} scratch[CU_SCRATCH_SLOTS], work;

static void *grow(void *old, size_t *have, size_t bytes, const char *what) {
    if (bytes <= *have && old) return old;
    cu_release(old);
    *have = bytes < 1 << 20 ? 1 << 20 : bytes;
    return cu_malloc(*have, what);
}

void *cu_scratch(int slot, size_t bytes) {
    FK_CHECK(slot >= 0 && slot < CU_SCRATCH_SLOTS, "scratch slot %d", slot);
    return scratch[slot].p = grow(scratch[slot].p, &scratch[slot].n, bytes, "a scratch buffer");
}

void *cu_workspace(size_t bytes) { return work.p = grow(work.p, &work.n, bytes, "cuDNN's workspace"); }

// ---------------------------------------------------------------------------
// threads (host work around the device: none of the ops), precision, report

static void cu_set_threads(int n) { host_set_threads(n); }

static const char *cu_set_precision(int p) {
    cu_init();
    if (p == BACKEND_PRECISION_BF16)
        return "bf16 is not implemented on the cuda backend yet (fp32 and tf32 are)";
    cu_precision = p;
    BLAS_CHECK(cublasSetMathMode(blas, p == BACKEND_PRECISION_TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
    return NULL;
}

static void cu_describe(char *buf, size_t n) {
    const char *why = cu_unavailable();
    if (why) {
        snprintf(buf, n, "not usable here: %s", why);
        return;
    }
    int rt = 0, drv = 0, bl = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cublasGetProperty(MAJOR_VERSION, &bl);
    int blm = 0, blp = 0;
    cublasGetProperty(MINOR_VERSION, &blm);
    cublasGetProperty(PATCH_LEVEL, &blp);
    const size_t dv = cudnnGetVersion();
    snprintf(buf, n, "%s, %.1f GiB, compute capability %d.%d; CUDA runtime %d.%d, driver %d.%d, cuDNN %zu.%zu.%zu, cuBLAS %d.%d.%d",
             prop.name, prop.totalGlobalMem / 1073741824.0, prop.major, prop.minor, rt / 1000, rt % 1000 / 10,
             drv / 1000, drv % 1000 / 10, dv / 10000, dv % 10000 / 100, dv % 100, bl, blm, blp);
}

extern "C" const Backend backend_cuda = {
    .name = "cuda",
    .description = "NVIDIA GPU: cuDNN convolutions, cuBLAS linear layers, fakeit's kernels for the rest",
    .host_memory = 0,
    .blocked = NULL,  // plain NCHW: cuDNN's fastest fp32 layout for these shapes
    .to_native = NULL,
    .to_plain = NULL,
    .set_threads = cu_set_threads,
    .get_threads = host_get_threads,
    .alloc = cu_alloc,
    .free = cu_free,
    .upload = cu_upload,
    .download = cu_download,
    .copy = cu_copy,
    .zero = cu_zero,
    .upload_bytes = cu_upload_bytes,
    .conv2d_forward = cu_conv2d_forward,
    .conv2d_backward = cu_conv2d_backward,
    .convt2d_forward = cu_convt2d_forward,
    .convt2d_backward = cu_convt2d_backward,
    .batchnorm_forward_train = cu_batchnorm_forward_train,
    .batchnorm_backward_train = cu_batchnorm_backward_train,
    .batchnorm_forward_eval = cu_batchnorm_forward_eval,
    .batchnorm_backward_eval = cu_batchnorm_backward_eval,
    .batchnorm_stats = cu_batchnorm_stats,
    .batchnorm_forward_stats = cu_batchnorm_forward_stats,
    .batchnorm_backward_stats = cu_batchnorm_backward_stats,
    .batchnorm_backward_apply = cu_batchnorm_backward_apply,
    .batchnorm_act_forward_train = cu_batchnorm_act_forward_train,
    .batchnorm_act_backward = cu_batchnorm_act_backward,
    .conv2d_act_forward = NULL,  // not fused here yet: Net runs the two layers
    .layernorm_forward = cu_layernorm_forward,
    .layernorm_backward = cu_layernorm_backward,
    .layernorm_jvp = cu_layernorm_jvp,
    .layernorm_jvp_backward = cu_layernorm_jvp_backward,
    .relu_forward = cu_relu_forward,
    .relu_backward = cu_relu_backward,
    .lrelu_forward = cu_lrelu_forward,
    .lrelu_backward = cu_lrelu_backward,
    .tanh_forward = cu_tanh_forward,
    .tanh_backward = cu_tanh_backward,
    .prelu_forward = cu_prelu_forward,
    .prelu_backward = cu_prelu_backward,
    .linear_forward = cu_linear_forward,
    .linear_backward = cu_linear_backward,
    .pixel_shuffle_forward = cu_pixel_shuffle_forward,
    .pixel_shuffle_backward = cu_pixel_shuffle_backward,
    .upsample_nearest_forward = cu_upsample_nearest_forward,
    .upsample_nearest_backward = cu_upsample_nearest_backward,
    .upsample_bicubic_forward = cu_upsample_bicubic_forward,
    .upsample_bicubic_backward = cu_upsample_bicubic_backward,
    .add_forward = cu_add_forward,
    .add_backward = cu_add_backward,
    .mean_batch_forward = cu_mean_batch_forward,
    .mean_batch_backward = cu_mean_batch_backward,
    .wgan_loss_forward = cu_wgan_loss_forward,
    .wgan_loss_backward = cu_wgan_loss_backward,
    .grad_penalty = cu_grad_penalty,
    .l1_loss_forward = cu_l1_loss_forward,
    .l1_loss_backward = cu_l1_loss_backward,
    .mse_loss_forward = cu_mse_loss_forward,
    .mse_loss_backward = cu_mse_loss_backward,
    .rmsprop_step = cu_rmsprop_step,
    .adam_step = cu_adam_step,
    .clip_weights = cu_clip_weights,
    .images_from_bytes = cu_images_from_bytes,
    .lerp = cu_lerp,
    .augment_forward = cu_augment_forward,
    .augment_backward = cu_augment_backward,
    .unavailable = cu_unavailable,
    .describe = cu_describe,
    .set_precision = cu_set_precision,
    .peak_bytes = cu_peak_bytes,
    .declare_params = NULL,  // nothing kept: each convolution reads the fp32 weights
#ifdef FAKEIT_HAVE_NCCL
    .comm_id = cu_comm_id,
    .comm_join = cu_comm_join,
    .comm_sum = cu_comm_sum,
#endif
};
