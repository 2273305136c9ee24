// net.h: a network is a sequence of layers built by code.
//
// Each layer reads the output of an earlier layer (or the network input), so
// residual connections are an `add` layer naming its two sources. Memory, one
// block per role, each allocated by the backend:
//   params  (n_params)      every weight and bias, in PyTorch's parameters() order
//   grads   (n_params)      same layout as params
//   opt     (k * n_params)  optimiser state: k moments, each laid out as params
//                           (RMSprop 1, Adam 2; allocated by net_opt_state)
//   buffers (n_buffers)     batch-norm running statistics (not trained, not clipped)
//   acts    per batch size  every layer's output plus saved statistics
//   dacts   per batch size  gradients of those outputs, packed by liveness:
//                           the backward pass needs a layer's output gradient
//                           only from its first consumer's step to its own, so
//                           buffers whose spans do not meet share memory (a
//                           chain needs about two alive at a time). Networks
//                           with the gradient penalty keep one per output.
// so zeroing, clipping, optimiser steps, all-reduce and checkpointing are one
// call over one array. Activations are allocated by net_set_batch(), once;
// forward and backward never allocate.
//
// Use: net_create, builder calls (net_conv2d, ...), net_finish, an
// initialisation (dcgan_init or loading weights), net_set_batch, then
// net_forward / net_backward.
#ifndef FAKEIT_NET_H
#define FAKEIT_NET_H

#include <stddef.h>

#include "backend/backend.h"

#define NET_INPUT (-1)  // layer index meaning "the network's input"
#define NET_PREV (-2)   // in builder calls: the most recently added layer
#define NET_NONE ((size_t)-1)

typedef struct {
    int C, H, W;  // one sample's shape; a flat vector of D features is (D, 1, 1)
} Dims;

static inline size_t dims_size(Dims d) { return (size_t)d.C * d.H * d.W; }

typedef enum {
    LAYER_CONV,           // Conv2d
    LAYER_CONVT,          // ConvTranspose2d
    LAYER_BATCHNORM,      // BatchNorm2d
    LAYER_LAYERNORM,      // layer norm over (C, H, W), per-channel affine
    LAYER_RELU,
    LAYER_LRELU,
    LAYER_TANH,
    LAYER_PRELU,          // one slope per channel
    LAYER_LINEAR,         // on the flattened sample
    LAYER_PIXEL_SHUFFLE,
    LAYER_UPSAMPLE,       // nearest neighbour or bicubic
    LAYER_ADD,            // residual: out = in + in2
} LayerKind;

typedef struct {
    LayerKind kind;
    char name[80];  // PyTorch module name, e.g. "main.initial:3-64:conv"
    int in, in2;    // source layer indices (NET_INPUT: the network input); in2 for add only
    Dims id, od;    // input and output shape of one sample
    size_t w, b;    // weight and bias offsets in params/grads, NET_NONE if absent
    size_t rm, rv;  // running mean and variance offsets in buffers (batch norm)
    size_t out;     // output offset in acts for the current batch
    size_t gout;    // its gradient's offset in dacts
    int fused;      // batch norm run with the next layer, its ReLU / LeakyReLU, in one
                    // backend call (Backend.batchnorm_act_*); both share `out`
    int conv_act;   // a convolution run with the next layer, its ReLU / LeakyReLU, in one
                    // backend call (Backend.conv2d_act_forward); both share `out`, each
                    // has its own gradient
    size_t save;    // saved statistics offset in acts (batch and layer norm), or a
                    // plain copy of a linear layer's input when the backend blocks it
    size_t gsave;   // in dacts: that plain copy's gradient (linear layers)
    union {
        struct { int K, S, P; } conv;       // conv, convt
        struct { float eps, momentum; } norm;  // batchnorm (both), layernorm (eps)
        struct { float slope; } lrelu;
        struct { int r, bicubic; } scale;   // pixel shuffle, upsample
    } u;
} Layer;

typedef enum { NET_PARAM, NET_BUFFER } TensorRole;

// A named tensor of the network, for loading and saving by PyTorch's names.
typedef struct {
    char name[96];  // e.g. "main.initial:3-64:conv.weight"
    TensorRole role;
    size_t off;     // offset in params (NET_PARAM) or buffers (NET_BUFFER)
    int ndim;
    int dims[4];
} NetTensor;

typedef struct Net {
    const Backend *be;
    Dims in;
    Layer *layers;
    int n_layers, cap_layers;
    NetTensor *tensors;
    int n_tensors, cap_tensors;
    size_t n_params, n_buffers;
    float *params, *grads, *buffers;  // NULL until net_finish
    float *opt;                       // NULL until net_opt_state
    int opt_moments;                  // moments opt holds
    int batch;                               // largest batch acts are allocated for, 0 if none
    int n;                                   // batch of the last forward (<= batch)
    long bn_batches;                         // training-mode forwards: PyTorch's num_batches_tracked
    size_t act_floats, grad_floats;  // sizes of acts and dacts
    float *acts, *dacts;
    // dacts' buffers: offset, floats, and the backward steps (layer indices;
    // -1 the input's conversion, n_layers the output's) from the first write,
    // before which it is zeroed, down to the last read
    struct NetGrad { size_t off, n; int first, last; } *gbuf;
    int n_gbuf;
    size_t gedge_in;  // in dacts: the input gradient in the backend's layout, NET_NONE if not needed
    const float *input;  // input of the last forward (backend layout), kept for the backward pass
    // When the backend stores the input or output shape in its own layout
    // (Backend.blocked), the network converts at its edges through these
    // regions of acts; NET_NONE when not needed.
    size_t edge_in, edge_out;
    int training;        // batch norm: 1 = batch statistics (default), 0 = running statistics
    // Gradient penalty (net_enable_penalty): tangents of every layer output
    // and second adjoints, both laid out as acts; live[i] says whether layer
    // i's second adjoint is non-zero in the current pass.
    int penalty;
    float *tacts, *padj;
    unsigned char *live;
    // NULL, or (n_layers + 1, NET_PROF) figures added up by every pass
    // (net_profile; bench_speed --profile): per layer, seconds of its forward
    // and backward and GFLOP of their convolutions; the last row: seconds in
    // the optimiser step with clipping, and in zeroing parameter gradients. Times are
    // host times: right for backends whose ops return when done (the CPU ones).
    double *prof;
    // Data parallelism (net_set_sync): this process holds its part of each
    // batch; training-mode batch norm sums its statistics over the job's
    // processes (dist) in every pass. sync_n: the whole batch of the last
    // forward (-1 until its first batch norm has summed it); stats (2 *
    // largest C + 1 doubles, backend memory) and its host copy for a device
    // backend; host_grads stages the gradients likewise.
    int sync;
    long sync_n;
    double *stats, *host_stats;
    float *host_grads;
} Net;

enum { NET_PROF = 4 };  // columns of Net.prof: fwd s, bwd s, fwd GFLOP, bwd GFLOP
// Starts (or restarts from zero) collecting Net.prof.
void net_profile(Net *net);

Net *net_create(const Backend *be, int C, int H, int W);
void net_free(Net *net);

// Builders: each appends a layer reading `from` (NET_PREV, NET_INPUT or a layer
// index), names it `name` and returns its index. Shapes are checked here.
int net_conv2d(Net *net, int from, const char *name, int OC, int K, int S, int P, int bias);
int net_convt2d(Net *net, int from, const char *name, int OC, int K, int S, int P, int bias);
int net_batchnorm(Net *net, int from, const char *name);  // eps 1e-5, momentum 0.1
int net_layernorm(Net *net, int from, const char *name);  // eps 1e-5
int net_relu(Net *net, int from, const char *name);
int net_lrelu(Net *net, int from, const char *name, float slope);
int net_tanh(Net *net, int from, const char *name);
int net_prelu(Net *net, int from, const char *name);  // slopes start at 0.25
int net_linear(Net *net, int from, const char *name, int OD, int bias);
int net_pixel_shuffle(Net *net, int from, const char *name, int r);
typedef enum { UPSAMPLE_NEAREST, UPSAMPLE_BICUBIC } UpsampleMode;
int net_upsample(Net *net, int from, const char *name, int s, UpsampleMode mode);
int net_add(Net *net, int a, int b, const char *name);

// Allocates the parameter, gradient, optimiser and buffer blocks with
// PyTorch's default values for norms and PReLU (weights stay zero: initialise).
void net_finish(Net *net);

// The optimiser state block with `moments` moments per parameter, allocated
// zero-filled on first use (or when the count changes: the state restarts).
float *net_opt_state(Net *net, int moments);

// Allocates activations for batches of up to N (frees those of another size).
void net_set_batch(Net *net, int N);

Dims net_out_dims(const Net *net);

// Runs the layers on inp (N, C, H, W) in backend memory; N may not exceed
// the batch set by net_set_batch (an epoch's last, smaller batch is fine) and
// is at least 1 (0 with net_set_sync: a process whose part is empty).
// Returns the output (N, out dims), valid until the next forward.
const float *net_forward(Net *net, const float *inp, int N);

// Backpropagates dout (the gradient of the output of the last forward).
// Parameter gradients ACCUMULATE into net->grads when param_grads is true and
// are left untouched otherwise; the input gradient accumulates into dinp unless
// it is NULL.
void net_backward(Net *net, const float *dout, float *dinp, int param_grads);

void net_zero_grads(Net *net);

// Data-parallel training (one process of an MPI job, dist.h): with sync on,
// every process calls net_forward and net_backward together, each with its
// part of the batch (N may be 0), and training-mode batch norm normalises
// with the whole batch's statistics (summed over the processes); a network
// without batch norm computes its part alone. net_sum_grads then sums the
// parameter gradients over the processes (one all-reduce of the gradient
// block), after which every process holds what one process computing the
// whole batch would, up to summation order. Off (the default): forward and
// backward are this process's alone, whatever the job.
void net_set_sync(Net *net, int on);
void net_sum_grads(Net *net);

// WGAN-GP. net_enable_penalty (before net_set_batch) allocates two more
// activation-sized blocks with every later net_set_batch; it refuses (with a
// message) a network with a layer whose second derivative is not provided:
// batch norm (the penalty is per sample, batch statistics mix samples),
// tanh, PReLU, linear, resampling.
//
// After y = net_forward(x) and net_backward(dout, g, 0), which leave every
// layer's output gradient in dacts and the input gradient in g, let
// P(g) be any function of g and v = dP/dg (N, input dims). Then
// net_penalty_backward(dout, v) ACCUMULATES dP/dparams into grads, exactly:
// it is the parameter gradient of <v, d(dout . y)/dx>, computed as one
// tangent pass along v and its reverse (ops/ops.h). dout is the gradient given
// to net_backward.
void net_enable_penalty(Net *net);
void net_penalty_backward(Net *net, const float *dout, const float *v);

// The named tensor, or NULL.
const NetTensor *net_tensor(const Net *net, const char *name);
size_t net_tensor_size(const NetTensor *t);
// Pointer into params or buffers (backend memory).
float *net_tensor_data(const Net *net, const NetTensor *t);

#endif
