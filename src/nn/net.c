// net.c: building networks, their memory blocks, forward and backward passes.
#include "nn/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "ops/ops.h"
#include "util/util.h"

Net *net_create(const Backend *be, int C, int H, int W) {
    FK_CHECK(C > 0 && H > 0 && W > 0, "bad input shape (%d, %d, %d)", C, H, W);
    Net *net = fk_calloc(1, sizeof(Net));
    net->be = be;
    net->in = (Dims){C, H, W};
    net->training = 1;
    return net;
}

void net_free(Net *net) {
    if (!net) return;
    const Backend *be = net->be;
    if (net->params) be->free(net->params);
    if (net->grads) be->free(net->grads);
    if (net->opt) be->free(net->opt);
    if (net->buffers) be->free(net->buffers);
    if (net->acts) be->free(net->acts);
    if (net->dacts) be->free(net->dacts);
    if (net->tacts) be->free(net->tacts);
    if (net->padj) be->free(net->padj);
    if (net->stats) be->free((float *)net->stats);
    free(net->host_stats), free(net->host_grads);
    free(net->gbuf);
    free(net->live);
    free(net->prof);
    free(net->layers);
    free(net->tensors);
    free(net);
}

// ---------------------------------------------------------------------------
// building

static int is_blocked(const Backend *be, Dims d) { return be->blocked && be->blocked(d.C, d.H, d.W); }

static int resolve(const Net *net, int from) {
    if (from == NET_PREV) from = net->n_layers - 1;  // -1 = NET_INPUT when empty
    FK_CHECK(from >= NET_INPUT && from < net->n_layers, "layer source %d out of range", from);
    return from;
}

static Dims dims_of(const Net *net, int idx) { return idx == NET_INPUT ? net->in : net->layers[idx].od; }

static Layer *push_layer(Net *net, LayerKind kind, int from, const char *name) {
    FK_CHECK(net->params == NULL, "layer '%s' added after net_finish", name);
    const int in = resolve(net, from);
    if (net->n_layers == net->cap_layers) {
        net->cap_layers = net->cap_layers ? 2 * net->cap_layers : 16;
        net->layers = realloc(net->layers, (size_t)net->cap_layers * sizeof(Layer));
        FK_CHECK(net->layers != NULL, "out of memory");
    }
    Layer *L = &net->layers[net->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    FK_CHECK(strlen(name) < sizeof L->name, "layer name too long: %s", name);
    strcpy(L->name, name);
    L->in = in;
    L->in2 = NET_INPUT;
    L->id = dims_of(net, L->in);
    L->od = L->id;
    L->w = L->b = L->rm = L->rv = NET_NONE;
    return L;
}

// Reserves a named tensor in params or buffers, returns its offset.
static size_t add_tensor(Net *net, const Layer *L, const char *suffix, TensorRole role,
                         int ndim, int d0, int d1, int d2, int d3) {
    if (net->n_tensors == net->cap_tensors) {
        net->cap_tensors = net->cap_tensors ? 2 * net->cap_tensors : 32;
        net->tensors = realloc(net->tensors, (size_t)net->cap_tensors * sizeof(NetTensor));
        FK_CHECK(net->tensors != NULL, "out of memory");
    }
    NetTensor *t = &net->tensors[net->n_tensors++];
    memset(t, 0, sizeof *t);
    int len = snprintf(t->name, sizeof t->name, "%s.%s", L->name, suffix);
    FK_CHECK(len > 0 && (size_t)len < sizeof t->name, "tensor name too long: %s.%s", L->name, suffix);
    t->role = role;
    t->ndim = ndim;
    int d[4] = {d0, d1, d2, d3};
    for (int i = 0; i < ndim; i++) t->dims[i] = d[i];
    size_t *count = role == NET_PARAM ? &net->n_params : &net->n_buffers;
    t->off = *count;
    *count += net_tensor_size(t);
    return t->off;
}

// Conv2d (weight (OC, C, K, K)) or ConvTranspose2d (weight (C, OC, K, K)).
static int add_conv(Net *net, LayerKind kind, int from, const char *name, int OC, int K, int S, int P, int bias) {
    FK_CHECK(OC > 0 && K > 0 && S > 0 && P >= 0, "convolution '%s': bad arguments OC %d K %d S %d P %d",
             name, OC, K, S, P);
    Layer *L = push_layer(net, kind, from, name);
    const int C = L->id.C;
    L->u.conv.K = K, L->u.conv.S = S, L->u.conv.P = P;
    if (kind == LAYER_CONV) {
        L->od = (Dims){OC, conv_out_size(L->id.H, K, S, P), conv_out_size(L->id.W, K, S, P)};
        L->w = add_tensor(net, L, "weight", NET_PARAM, 4, OC, C, K, K);
    } else {
        L->od = (Dims){OC, convt_out_size(L->id.H, K, S, P), convt_out_size(L->id.W, K, S, P)};
        L->w = add_tensor(net, L, "weight", NET_PARAM, 4, C, OC, K, K);
    }
    FK_CHECK(L->od.H > 0 && L->od.W > 0, "convolution '%s': %dx%d input gives an empty output", name,
             L->id.H, L->id.W);
    if (bias) L->b = add_tensor(net, L, "bias", NET_PARAM, 1, OC, 0, 0, 0);
    return net->n_layers - 1;
}

int net_conv2d(Net *net, int from, const char *name, int OC, int K, int S, int P, int bias) {
    return add_conv(net, LAYER_CONV, from, name, OC, K, S, P, bias);
}

int net_convt2d(Net *net, int from, const char *name, int OC, int K, int S, int P, int bias) {
    return add_conv(net, LAYER_CONVT, from, name, OC, K, S, P, bias);
}

int net_batchnorm(Net *net, int from, const char *name) {
    Layer *L = push_layer(net, LAYER_BATCHNORM, from, name);
    L->u.norm.eps = 1e-5f, L->u.norm.momentum = 0.1f;
    int C = L->id.C;
    L->w = add_tensor(net, L, "weight", NET_PARAM, 1, C, 0, 0, 0);
    L->b = add_tensor(net, L, "bias", NET_PARAM, 1, C, 0, 0, 0);
    L->rm = add_tensor(net, L, "running_mean", NET_BUFFER, 1, C, 0, 0, 0);
    L->rv = add_tensor(net, L, "running_var", NET_BUFFER, 1, C, 0, 0, 0);
    return net->n_layers - 1;
}

int net_layernorm(Net *net, int from, const char *name) {
    Layer *L = push_layer(net, LAYER_LAYERNORM, from, name);
    L->u.norm.eps = 1e-5f;
    L->w = add_tensor(net, L, "weight", NET_PARAM, 1, L->id.C, 0, 0, 0);
    L->b = add_tensor(net, L, "bias", NET_PARAM, 1, L->id.C, 0, 0, 0);
    return net->n_layers - 1;
}

int net_relu(Net *net, int from, const char *name) {
    push_layer(net, LAYER_RELU, from, name);
    return net->n_layers - 1;
}

int net_lrelu(Net *net, int from, const char *name, float slope) {
    push_layer(net, LAYER_LRELU, from, name)->u.lrelu.slope = slope;
    return net->n_layers - 1;
}

int net_tanh(Net *net, int from, const char *name) {
    push_layer(net, LAYER_TANH, from, name);
    return net->n_layers - 1;
}

int net_prelu(Net *net, int from, const char *name) {
    Layer *L = push_layer(net, LAYER_PRELU, from, name);
    L->w = add_tensor(net, L, "weight", NET_PARAM, 1, L->id.C, 0, 0, 0);
    return net->n_layers - 1;
}

int net_linear(Net *net, int from, const char *name, int OD, int bias) {
    Layer *L = push_layer(net, LAYER_LINEAR, from, name);
    FK_CHECK(OD > 0, "linear '%s': bad output size %d", name, OD);
    L->od = (Dims){OD, 1, 1};
    L->w = add_tensor(net, L, "weight", NET_PARAM, 2, OD, (int)dims_size(L->id), 0, 0);
    if (bias) L->b = add_tensor(net, L, "bias", NET_PARAM, 1, OD, 0, 0, 0);
    return net->n_layers - 1;
}

int net_pixel_shuffle(Net *net, int from, const char *name, int r) {
    Layer *L = push_layer(net, LAYER_PIXEL_SHUFFLE, from, name);
    FK_CHECK(r > 0 && L->id.C % (r * r) == 0, "pixel shuffle '%s': %d channels not divisible by %d",
             name, L->id.C, r * r);
    L->u.scale.r = r;
    L->od = (Dims){L->id.C / (r * r), L->id.H * r, L->id.W * r};
    return net->n_layers - 1;
}

int net_upsample(Net *net, int from, const char *name, int s, UpsampleMode mode) {
    Layer *L = push_layer(net, LAYER_UPSAMPLE, from, name);
    FK_CHECK(s > 0, "upsample '%s': bad factor %d", name, s);
    L->u.scale.r = s;
    L->u.scale.bicubic = mode == UPSAMPLE_BICUBIC;
    L->od = (Dims){L->id.C, L->id.H * s, L->id.W * s};
    return net->n_layers - 1;
}

int net_add(Net *net, int a, int b, const char *name) {
    int b_idx = resolve(net, b);
    Layer *L = push_layer(net, LAYER_ADD, a, name);
    L->in2 = b_idx;
    Dims d2 = dims_of(net, b_idx);
    FK_CHECK(L->id.C == d2.C && L->id.H == d2.H && L->id.W == d2.W,
             "add '%s': shapes (%d,%d,%d) and (%d,%d,%d) differ", name,
             L->id.C, L->id.H, L->id.W, d2.C, d2.H, d2.W);
    return net->n_layers - 1;
}

void net_finish(Net *net) {
    FK_CHECK(net->n_layers > 0 && net->params == NULL, "net_finish on an empty or finished net");
    const Backend *be = net->be;
    net->params = be->alloc(net->n_params);
    if (be->declare_params) be->declare_params(net->params, net->n_params);
    net->grads = be->alloc(net->n_params);
    net->buffers = be->alloc(net->n_buffers);
    // PyTorch's defaults: norm weight 1, running_var 1, PReLU slope 0.25
    float *host = fk_calloc(net->n_params, sizeof(float));
    float *hbuf = fk_calloc(net->n_buffers, sizeof(float));
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        if (L->kind == LAYER_BATCHNORM || L->kind == LAYER_LAYERNORM)
            for (int c = 0; c < L->id.C; c++) host[L->w + c] = 1.0f;
        if (L->kind == LAYER_BATCHNORM)
            for (int c = 0; c < L->id.C; c++) hbuf[L->rv + c] = 1.0f;
        if (L->kind == LAYER_PRELU)
            for (int c = 0; c < L->id.C; c++) host[L->w + c] = 0.25f;
    }
    be->upload(net->params, host, net->n_params);
    be->upload(net->buffers, hbuf, net->n_buffers);
    free(host);
    free(hbuf);
}

// Batch norm at i can run fused with its activation at i + 1 when the backend
// has the fused ops, the activation reads only it, nothing else reads it, and
// the activation is not the output (whose gradient comes from outside).
static int can_fuse(const Net *net, int i) {
    const Layer *L = &net->layers[i];
    if (!net->be->batchnorm_act_forward_train || L->kind != LAYER_BATCHNORM || i + 1 >= net->n_layers - 1) return 0;
    const Layer *A = &net->layers[i + 1];
    if (A->in != i || !(A->kind == LAYER_RELU || (A->kind == LAYER_LRELU && A->u.lrelu.slope >= 0.0f))) return 0;
    for (int j = 0; j < net->n_layers; j++)
        if (j != i + 1 && (net->layers[j].in == i || (net->layers[j].kind == LAYER_ADD && net->layers[j].in2 == i)))
            return 0;
    return 1;
}

float *net_opt_state(Net *net, int moments) {
    FK_CHECK(net->params != NULL && moments > 0, "optimiser state of an unfinished network");
    if (net->opt_moments != moments) {
        if (net->opt) net->be->free(net->opt);
        net->opt = net->be->alloc((size_t)moments * net->n_params);
        net->opt_moments = moments;
    }
    return net->opt;
}

// Convolution at i can run with its activation at i + 1 under the same
// conditions, when the backend has the fused op and the network has no
// penalty (whose tangent pass needs the two outputs apart).
static int can_fuse_conv(const Net *net, int i) {
    const Layer *L = &net->layers[i];
    if (!net->be->conv2d_act_forward || net->penalty || L->kind != LAYER_CONV || i + 1 >= net->n_layers - 1) return 0;
    const Layer *A = &net->layers[i + 1];
    if (A->in != i || !(A->kind == LAYER_RELU || (A->kind == LAYER_LRELU && A->u.lrelu.slope >= 0.0f))) return 0;
    for (int j = 0; j < net->n_layers; j++)
        if (j != i + 1 && (net->layers[j].in == i || (net->layers[j].kind == LAYER_ADD && net->layers[j].in2 == i)))
            return 0;
    return 1;
}

static float act_slope(const Layer *A) { return A->kind == LAYER_LRELU ? A->u.lrelu.slope : 0.0f; }

// Whether layer j's output is read by layer c.
static int reads(const Layer *c, int j) { return c->in == j || (c->kind == LAYER_ADD && c->in2 == j); }

// Adds a gradient buffer of n floats live from backward step `first` down to
// `last` (net->gbuf has room for all); returns its index.
static int add_gbuf(Net *net, size_t n, int first, int last) {
    net->gbuf[net->n_gbuf] = (struct NetGrad){0, (n + 15) / 16 * 16, first, last};  // 64-byte aligned slots
    return net->n_gbuf++;
}

// Lays out dacts (after acts): one buffer per layer output that is not a
// fused batch norm's (it shares its activation's), one for a blocked
// linear layer's plain input gradient and one for the converted input
// gradient; then packs them first-fit, largest first, so that buffers alive
// at the same backward step never overlap. With the gradient penalty dacts
// mirrors acts instead (the penalty pass reads every output's gradient).
static void plan_grads(Net *net, int N) {
    free(net->gbuf);
    net->gbuf = NULL;
    net->n_gbuf = 0;
    net->gedge_in = NET_NONE;
    const int n = net->n_layers;
    net->gbuf = fk_malloc((size_t)(2 * n + 1) * sizeof *net->gbuf);  // outputs, plain copies, the input
    if (net->penalty) {
        for (int i = 0; i < n; i++) net->layers[i].gout = net->layers[i].out, net->layers[i].gsave = net->layers[i].save;
        net->gedge_in = net->edge_in;
        net->grad_floats = net->act_floats;
        return;
    }
    int *owner = fk_malloc((size_t)(n + 2) * sizeof(int));  // gbuf index of each layer's gradient
    for (int j = n - 1; j >= 0; j--) {
        Layer *L = &net->layers[j];
        if (L->fused) {  // a fused batch norm: its activation's buffer, read one step lower
            owner[j] = owner[j + 1];
            net->gbuf[owner[j]].last = j;
            continue;
        }
        int first = j == n - 1 ? n : j;  // the output's gradient arrives before the first step
        for (int c = j + 1; c < n; c++)
            if (reads(&net->layers[c], j)) first = c > first ? c : first;
        owner[j] = add_gbuf(net, (size_t)N * dims_size(L->od), first, j);
    }
    int *plain = fk_malloc((size_t)(n + 1) * sizeof(int)), edge = -1;
    for (int j = 0; j < n; j++)
        plain[j] = net->layers[j].kind == LAYER_LINEAR && net->layers[j].save != NET_NONE
                       ? add_gbuf(net, (size_t)N * dims_size(net->layers[j].id), j, j)
                       : -1;
    if (net->edge_in != NET_NONE) {
        int first = -1;
        for (int c = 0; c < n; c++)
            if (reads(&net->layers[c], NET_INPUT)) first = c > first ? c : first;
        edge = add_gbuf(net, (size_t)N * dims_size(net->in), first, -1);
    }
    // first fit, largest first
    const int m = net->n_gbuf;
    int *order = fk_malloc((size_t)m * sizeof(int)), *placed = fk_malloc((size_t)m * sizeof(int));
    for (int i = 0; i < m; i++) order[i] = i;
    for (int i = 1; i < m; i++)
        for (int k = i; k > 0 && net->gbuf[order[k]].n > net->gbuf[order[k - 1]].n; k--) {
            const int t = order[k];
            order[k] = order[k - 1], order[k - 1] = t;
        }
    size_t total = 0;
    for (int i = 0; i < m; i++) {
        struct NetGrad *g = &net->gbuf[order[i]];
        size_t at = 0;
        for (int moved = 1; moved;) {  // past every placed buffer that meets it in time and space
            moved = 0;
            for (int k = 0; k < i; k++) {
                const struct NetGrad *h = &net->gbuf[placed[k]];
                const int in_time = h->last <= g->first && g->last <= h->first;
                if (in_time && at < h->off + h->n && h->off < at + g->n) at = h->off + h->n, moved = 1;
            }
        }
        g->off = at;
        placed[i] = order[i];
        if (at + g->n > total) total = at + g->n;
    }
    for (int j = 0; j < n; j++) {
        net->layers[j].gout = net->gbuf[owner[j]].off;
        net->layers[j].gsave = plain[j] >= 0 ? net->gbuf[plain[j]].off : NET_NONE;
    }
    if (edge >= 0) net->gedge_in = net->gbuf[edge].off;
    net->grad_floats = total ? total : 1;
    free(owner), free(plain), free(order), free(placed);
}

// The gradient buffer that backward step i's op writes whole and first, so
// that it may write it rather than add to zeros (backend.h: acc 0): its
// input's gradient, when the layer is a convolution, a transposed one, a
// LeakyReLU or a fused batch norm (not synchronised) whose input is another
// layer, on a non-empty batch without the penalty's mirrored buffers. -1:
// none (every buffer first written at step i is zeroed, and the op adds).
static int written_gbuf(const Net *net, int i) {
    if (net->penalty || i >= net->n_layers || net->n == 0) return -1;
    const Layer *L = &net->layers[i];
    if (L->in == NET_INPUT || (i > 0 && net->layers[i - 1].fused)) return -1;  // the user's dinp; a skipped step
    const int kind_writes = L->kind == LAYER_CONV || L->kind == LAYER_CONVT || L->kind == LAYER_LRELU ||
                            (L->fused && !(net->sync && net->training));
    if (!kind_writes) return -1;
    for (int k = 0; k < net->n_gbuf; k++)
        if (net->gbuf[k].first == i && net->gbuf[k].off == net->layers[L->in].gout) return k;
    return -1;
}

// Zeroes the gradient buffers first written at backward step s (all of them
// with the penalty, at the start), but the one step s's op writes (`skip`,
// from written_gbuf). Profiles count it in the step's layer.
static void zero_grads_at(Net *net, int s, int skip) {
    if (net->penalty) {
        if (s == net->n_layers) net->be->zero(net->dacts, net->grad_floats);
    } else {
        for (int k = 0; k < net->n_gbuf; k++)
            if (net->gbuf[k].first == s && k != skip) net->be->zero(net->dacts + net->gbuf[k].off, net->gbuf[k].n);
    }
}

void net_set_batch(Net *net, int N) {
    FK_CHECK(net->params != NULL, "net_set_batch before net_finish");
    FK_CHECK(N > 0, "bad batch size %d", N);
    if (net->batch == N) return;
    const Backend *be = net->be;
    if (net->acts) be->free(net->acts);
    if (net->dacts) be->free(net->dacts);
    if (net->tacts) be->free(net->tacts), net->tacts = NULL;
    if (net->padj) be->free(net->padj), net->padj = NULL;
    size_t off = 0;
    for (int i = 0; i < net->n_layers; i++) {
        Layer *L = &net->layers[i];
        L->fused = can_fuse(net, i);
        L->conv_act = can_fuse_conv(net, i);
        L->out = off;
        if (!L->fused && !L->conv_act)  // a fused batch norm or convolution writes its activation's output
            off += (size_t)N * dims_size(L->od);
        L->save = NET_NONE;
        if (L->kind == LAYER_BATCHNORM) L->save = off, off += 2 * (size_t)L->id.C;  // mean, rstd
        if (L->kind == LAYER_LAYERNORM) L->save = off, off += 2 * (size_t)N;        // mean, rstd
        if (L->kind == LAYER_LINEAR && is_blocked(net->be, L->id))
            L->save = off, off += (size_t)N * dims_size(L->id);  // the input, flattened plain
    }
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].fused || net->layers[i].conv_act) net->layers[i].out = net->layers[i + 1].out;
    net->edge_in = net->edge_out = NET_NONE;
    if (is_blocked(net->be, net->in)) net->edge_in = off, off += (size_t)N * dims_size(net->in);
    if (is_blocked(net->be, net_out_dims(net))) net->edge_out = off, off += (size_t)N * dims_size(net_out_dims(net));
    net->act_floats = off;
    net->acts = be->alloc(off);
    plan_grads(net, N);
    net->dacts = be->alloc(net->grad_floats);
    if (net->penalty) net->tacts = be->alloc(off), net->padj = be->alloc(off);
    net->batch = N;
}

Dims net_out_dims(const Net *net) { return net->layers[net->n_layers - 1].od; }

void net_zero_grads(Net *net) {
    const double t0 = net->prof ? fk_seconds() : 0;
    net->be->zero(net->grads, net->n_params);
    if (net->prof) net->prof[NET_PROF * net->n_layers + 1] += fk_seconds() - t0;
}

void net_profile(Net *net) {
    free(net->prof);
    net->prof = fk_calloc((size_t)NET_PROF * (net->n_layers + 1), sizeof(double));
}

// ---------------------------------------------------------------------------
// forward and backward

// Profiling (net->prof set, NET_PROF columns a layer): the time since the
// last mark goes to layer *prev's forward (dir 0) or backward (dir 1); layer
// i starts now (-1: none).
static void prof_mark(Net *net, int *prev, double *t, int i, int dir) {
    if (!net->prof) return;
    const double now = fk_seconds();
    if (*prev >= 0) net->prof[NET_PROF * *prev + dir] += now - *t;
    *prev = i, *t = now;
}

// ... and the arithmetic of a convolution's pass over N samples: `terms`
// products of its size (forward 1; backward: input gradient, weight gradient).
static void prof_flops(Net *net, int i, int N, int dir, int terms) {
    const Layer *L = &net->layers[i];
    if (!net->prof || (L->kind != LAYER_CONV && L->kind != LAYER_CONVT)) return;
    const Dims small = L->kind == LAYER_CONV ? L->od : L->id;  // the side the kernel slides over
    const double macs = (double)L->id.C * L->od.C * L->u.conv.K * L->u.conv.K * small.H * small.W;
    net->prof[NET_PROF * i + 2 + dir] += 2e-9 * macs * N * terms;
}

// ---------------------------------------------------------------------------
// data parallelism: batch norm over the whole batch, gradients summed

void net_set_sync(Net *net, int on) {
    net->sync = on && dist_size() > 1;
    if (!net->sync || net->stats) return;
    int C = 1;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == LAYER_BATCHNORM && net->layers[i].id.C > C) C = net->layers[i].id.C;
    net->stats = (double *)net->be->alloc((size_t)4 * C + 2);  // 2 C + 1 doubles (sum_stats)
    if (!net->be->host_memory) {
        net->host_stats = fk_malloc(((size_t)2 * C + 1) * sizeof(double));
        net->host_grads = fk_malloc((net->n_params ? net->n_params : 1) * sizeof(float));
    }
}

// net->stats (2, C) summed over the processes, every process getting the
// sum. With count >= 0 (a forward's first batch norm) this process's sample
// count rides along as one more double, and its sum, the whole batch, goes
// to net->sync_n: no call of its own.
static void sum_stats(Net *net, int C, long count) {
    const Backend *be = net->be;
    const size_t n = (size_t)2 * C + (count >= 0);
    double whole = 0;
    if (dist_device_sums(be)) {  // asynchronous on the device: counted, not timed
        if (count >= 0) whole = (double)count, be->upload((float *)(net->stats + 2 * C), (const float *)&whole, 2);
        be->comm_sum(net->stats, n, 1);
        if (count >= 0) be->download((float *)&whole, (const float *)(net->stats + 2 * C), 2);
        dist_count(n * sizeof(double), 0.0);
    } else if (be->host_memory) {
        if (count >= 0) net->stats[2 * C] = (double)count;
        dist_sum_f64(net->stats, n);
        whole = net->stats[2 * C];
    } else {
        be->download((float *)net->host_stats, (const float *)net->stats, (size_t)4 * C);
        if (count >= 0) net->host_stats[2 * C] = (double)count;
        dist_sum_f64(net->host_stats, n);
        be->upload((float *)net->stats, (const float *)net->host_stats, (size_t)4 * C);
        whole = net->host_stats[2 * C];
    }
    if (count >= 0) net->sync_n = (long)whole;
}

void net_sum_grads(Net *net) {
    if (!net->sync) return;
    const Backend *be = net->be;
    if (dist_device_sums(be)) {
        be->comm_sum(net->grads, net->n_params, 0);
        dist_count(net->n_params * sizeof(float), 0.0);
        return;
    }
    if (be->host_memory) {
        dist_sum_f32(net->grads, net->n_params);
        return;
    }
    be->download(net->host_grads, net->grads, net->n_params);
    dist_sum_f32(net->host_grads, net->n_params);
    be->upload(net->grads, net->host_grads, net->n_params);
}

// Training-mode batch norm (with its activation when fused: slope) on this
// process's N samples, normalised with the statistics of all net->sync_n.
static void bn_sync_forward(Net *net, const Layer *L, float *y, const float *x, int N, float slope) {
    const Backend *be = net->be;
    const int C = L->id.C, HW = L->id.H * L->id.W;
    be->batchnorm_stats(net->stats, x, N, C, HW);
    sum_stats(net, C, net->sync_n < 0 ? N : -1);  // the first one learns the whole batch
    be->batchnorm_forward_stats(y, net->acts + L->save, net->acts + L->save + C, net->buffers + L->rm,
                                net->buffers + L->rv, x, net->params + L->w, net->params + L->b, net->stats,
                                (double)net->sync_n * HW, N, C, HW, L->u.norm.eps, L->u.norm.momentum, L->fused,
                                slope);
}

// Its backward pass: this part's sums into dw, db; the whole batch's into dx.
static void bn_sync_backward(Net *net, const Layer *L, float *dx, float *dw, float *db, const float *dy,
                             const float *y, const float *x, const float *w, int N, float slope) {
    const Backend *be = net->be;
    const int C = L->id.C, HW = L->id.H * L->id.W;
    const float *out = L->fused ? y : NULL, *mean = net->acts + L->save, *rstd = net->acts + L->save + C;
    be->batchnorm_backward_stats(net->stats, dw, db, dy, out, slope, x, mean, rstd, N, C, HW);
    if (!dx) return;  // the same on every process: whether a layer's input gradient is wanted is structural
    sum_stats(net, C, -1);
    be->batchnorm_backward_apply(dx, dy, out, slope, x, mean, rstd, w, net->stats, (double)net->sync_n * HW, N, C,
                                 HW);
}

static const float *src_act(const Net *net, int idx) {
    return idx == NET_INPUT ? net->input : net->acts + net->layers[idx].out;
}

const float *net_forward(Net *net, const float *inp, int N) {
    FK_CHECK(N >= !net->sync && N <= net->batch, "forward with batch %d but activations are for batches up to %d", N,
             net->batch);
    const Backend *be = net->be;
    net->sync_n = -1;  // the whole batch: learnt by the first batch norm (sum_stats)
    if (N > 0 && net->edge_in != NET_NONE) {
        be->to_native(net->acts + net->edge_in, inp, N, net->in.C, net->in.H, net->in.W, 0);
        inp = net->acts + net->edge_in;
    }
    net->input = inp;
    net->n = N;
    if (net->training && net->n_buffers) net->bn_batches++;
    int timed = -1;
    double t = 0;
    for (int i = 0; i < net->n_layers; i++) {
        prof_mark(net, &timed, &t, i, 0);
        prof_flops(net, i, N, 0, 1);
        Layer *L = &net->layers[i];
        const float *x = src_act(net, L->in);
        float *y = net->acts + L->out;
        const float *w = L->w != NET_NONE ? net->params + L->w : NULL;
        const float *b = L->b != NET_NONE ? net->params + L->b : NULL;
        const int C = L->id.C, H = L->id.H, W = L->id.W, HW = H * W;
        const size_t n = (size_t)N * dims_size(L->id);
        if (L->kind == LAYER_BATCHNORM && net->sync && net->training) {
            bn_sync_forward(net, L, y, x, N, L->fused ? act_slope(&net->layers[i + 1]) : 0.0f);
            i += L->fused;  // the activation is done
            continue;
        }
        if (N == 0) continue;  // an empty part: only batch norm's sums are shared
        switch (L->kind) {
        case LAYER_CONV:
            if (L->conv_act) {  // the activation in place: its backward reads the output
                be->conv2d_act_forward(y, x, w, b, N, C, H, W, L->od.C, L->u.conv.K, L->u.conv.S, L->u.conv.P,
                                       act_slope(&net->layers[i + 1]));
                i++;
                break;
            }
            be->conv2d_forward(y, x, w, b, N, C, H, W, L->od.C, L->u.conv.K, L->u.conv.S, L->u.conv.P);
            break;
        case LAYER_CONVT:
            be->convt2d_forward(y, x, w, b, N, C, H, W, L->od.C, L->u.conv.K, L->u.conv.S, L->u.conv.P);
            break;
        case LAYER_BATCHNORM:
            if (L->fused && net->training) {
                be->batchnorm_act_forward_train(y, net->acts + L->save, net->acts + L->save + C,
                                                net->buffers + L->rm, net->buffers + L->rv, x, w, b, N, C, HW,
                                                L->u.norm.eps, L->u.norm.momentum, act_slope(&net->layers[i + 1]));
                i++;  // the activation is done
            } else if (L->fused) {  // evaluation: batch norm, then the activation in place
                be->batchnorm_forward_eval(y, x, w, b, net->buffers + L->rm, net->buffers + L->rv,
                                           N, C, HW, L->u.norm.eps);
                be->lrelu_forward(y, y, n, act_slope(&net->layers[i + 1]));
                i++;
            } else if (net->training)
                be->batchnorm_forward_train(y, net->acts + L->save, net->acts + L->save + C,
                                            net->buffers + L->rm, net->buffers + L->rv, x, w, b,
                                            N, C, HW, L->u.norm.eps, L->u.norm.momentum);
            else
                be->batchnorm_forward_eval(y, x, w, b, net->buffers + L->rm, net->buffers + L->rv,
                                           N, C, HW, L->u.norm.eps);
            break;
        case LAYER_LAYERNORM:
            be->layernorm_forward(y, net->acts + L->save, net->acts + L->save + N, x, w, b,
                                  N, C, HW, L->u.norm.eps);
            break;
        case LAYER_RELU: be->relu_forward(y, x, n); break;
        case LAYER_LRELU: be->lrelu_forward(y, x, n, L->u.lrelu.slope); break;
        case LAYER_TANH: be->tanh_forward(y, x, n); break;
        case LAYER_PRELU: be->prelu_forward(y, x, w, N, C, HW); break;
        case LAYER_LINEAR:
            if (L->save != NET_NONE) {  // a blocked input: flatten it in PyTorch's order first
                be->to_plain(net->acts + L->save, x, N, C, H, W, 0);
                x = net->acts + L->save;
            }
            be->linear_forward(y, x, w, b, N, (int)dims_size(L->id), L->od.C);
            break;
        case LAYER_PIXEL_SHUFFLE:
            be->pixel_shuffle_forward(y, x, N, L->od.C, H, W, L->u.scale.r);
            break;
        case LAYER_UPSAMPLE:
            (L->u.scale.bicubic ? be->upsample_bicubic_forward : be->upsample_nearest_forward)(y, x, N, C, H, W,
                                                                                              L->u.scale.r);
            break;
        case LAYER_ADD: be->add_forward(y, x, src_act(net, L->in2), n); break;
        }
    }
    prof_mark(net, &timed, &t, -1, 0);
    const Layer *last = &net->layers[net->n_layers - 1];
    if (net->edge_out == NET_NONE || N == 0) return net->acts + last->out;
    be->to_plain(net->acts + net->edge_out, net->acts + last->out, N, last->od.C, last->od.H, last->od.W, 0);
    return net->acts + net->edge_out;
}

void net_backward(Net *net, const float *dout, float *dinp, int param_grads) {
    FK_CHECK(net->input != NULL, "backward without a forward");
    const Backend *be = net->be;
    const int N = net->n;
    zero_grads_at(net, net->n_layers, -1);
    const Layer *last = &net->layers[net->n_layers - 1];
    if (N > 0 && net->edge_out != NET_NONE) {  // the output gradient into the backend's layout
        be->to_native(net->dacts + last->gout, dout, N, last->od.C, last->od.H, last->od.W, 0);
        dout = net->dacts + last->gout;
    }
    float *user_dinp = dinp;
    if (dinp && net->edge_in != NET_NONE) dinp = net->dacts + net->gedge_in;  // converted at the end
    int timed = -1;
    double t = 0;
    for (int i = net->n_layers - 1; i >= 0; i--) {
        prof_mark(net, &timed, &t, i, 1);
        const int wrote = written_gbuf(net, i), acc = wrote < 0;  // acc 0: the op writes dx
        zero_grads_at(net, i, wrote);
        Layer *L = &net->layers[i];
        const float *dy = i == net->n_layers - 1 ? dout : net->dacts + L->gout;
        const float *x = src_act(net, L->in);
        const float *y = net->acts + L->out;
        float *dx = L->in == NET_INPUT ? dinp : net->dacts + net->layers[L->in].gout;
        const float *w = L->w != NET_NONE ? net->params + L->w : NULL;
        float *dw = param_grads && L->w != NET_NONE ? net->grads + L->w : NULL;
        float *db = param_grads && L->b != NET_NONE ? net->grads + L->b : NULL;
        const int C = L->id.C, H = L->id.H, W = L->id.W, HW = H * W;
        const size_t n = (size_t)N * dims_size(L->id);
        prof_flops(net, i, N, 1, (dx != NULL) + (dw != NULL));
        if (L->kind == LAYER_ADD) {
            float *dx2 = L->in2 == NET_INPUT ? dinp : net->dacts + net->layers[L->in2].gout;
            if (dx || dx2) be->add_backward(dx, dx2, dy, n);
            continue;
        }
        if (!dx && !dw && !db) continue;  // nothing wanted below this layer
        if (i > 0 && net->layers[i - 1].fused) continue;  // the activation goes back with its batch norm
        if (L->kind == LAYER_BATCHNORM && net->sync && net->training) {
            bn_sync_backward(net, L, dx, dw, db, dy, y, x, w, N, L->fused ? act_slope(&net->layers[i + 1]) : 0.0f);
            continue;
        }
        if (N == 0) continue;
        if (L->fused) {
            const float slope = act_slope(&net->layers[i + 1]);
            if (net->training)
                be->batchnorm_act_backward(dx, dw, db, dy, y, x, net->acts + L->save, net->acts + L->save + C, w,
                                           N, C, HW, L->u.norm.eps, slope, 1, acc);
            else
                be->batchnorm_act_backward(dx, dw, db, dy, y, x, net->buffers + L->rm, net->buffers + L->rv, w,
                                           N, C, HW, L->u.norm.eps, slope, 0, acc);
            continue;
        }
        switch (L->kind) {
        case LAYER_CONV:
            be->conv2d_backward(dx, dw, db, dy, x, w, N, C, H, W, L->od.C,
                                L->u.conv.K, L->u.conv.S, L->u.conv.P, acc);
            break;
        case LAYER_CONVT:
            be->convt2d_backward(dx, dw, db, dy, x, w, N, C, H, W, L->od.C,
                                 L->u.conv.K, L->u.conv.S, L->u.conv.P, acc);
            break;
        case LAYER_BATCHNORM:
            if (net->training)
                be->batchnorm_backward_train(dx, dw, db, dy, x, net->acts + L->save,
                                             net->acts + L->save + C, w, N, C, HW);
            else
                be->batchnorm_backward_eval(dx, dw, db, dy, x, w, net->buffers + L->rm,
                                            net->buffers + L->rv, N, C, HW, L->u.norm.eps);
            break;
        case LAYER_LAYERNORM:
            be->layernorm_backward(dx, dw, db, dy, x, net->acts + L->save, net->acts + L->save + N,
                                   w, N, C, HW);
            break;
        case LAYER_RELU: be->relu_backward(dx, dy, x, n); break;
        case LAYER_LRELU: be->lrelu_backward(dx, dy, x, n, L->u.lrelu.slope, acc); break;
        case LAYER_TANH: be->tanh_backward(dx, dy, y, n); break;
        case LAYER_PRELU: be->prelu_backward(dx, dw, dy, x, w, N, C, HW); break;
        case LAYER_LINEAR:
            if (L->save != NET_NONE) {  // plain input copy and plain input gradient
                float *dplain = dx ? net->dacts + L->gsave : NULL;
                be->linear_backward(dplain, dw, db, dy, net->acts + L->save, w, N, (int)dims_size(L->id), L->od.C);
                if (dx) be->to_native(dx, dplain, N, C, H, W, 1);
            } else {
                be->linear_backward(dx, dw, db, dy, x, w, N, (int)dims_size(L->id), L->od.C);
            }
            break;
        case LAYER_PIXEL_SHUFFLE:
            be->pixel_shuffle_backward(dx, dy, N, L->od.C, H, W, L->u.scale.r);
            break;
        case LAYER_UPSAMPLE:
            (L->u.scale.bicubic ? be->upsample_bicubic_backward : be->upsample_nearest_backward)(dx, dy, N, C, H, W,
                                                                                                L->u.scale.r);
            break;
        case LAYER_ADD: break;  // handled above
        }
    }
    prof_mark(net, &timed, &t, -1, 1);
    if (N > 0 && user_dinp && dinp != user_dinp)
        be->to_plain(user_dinp, dinp, N, net->in.C, net->in.H, net->in.W, 1);
}

// ---------------------------------------------------------------------------
// named tensors

const NetTensor *net_tensor(const Net *net, const char *name) {
    for (int i = 0; i < net->n_tensors; i++)
        if (strcmp(net->tensors[i].name, name) == 0) return &net->tensors[i];
    return NULL;
}

size_t net_tensor_size(const NetTensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dims[i];
    return n;
}

float *net_tensor_data(const Net *net, const NetTensor *t) {
    return (t->role == NET_PARAM ? net->params : net->buffers) + t->off;
}

// ---------------------------------------------------------------------------
// gradient penalty: the tangent pass along v and its reverse

void net_enable_penalty(Net *net) {
    FK_CHECK(net->params != NULL, "net_enable_penalty before net_finish");
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        const int ok = L->kind == LAYER_CONV || L->kind == LAYER_CONVT || L->kind == LAYER_RELU ||
                       L->kind == LAYER_LRELU || L->kind == LAYER_LAYERNORM || L->kind == LAYER_ADD;
        FK_CHECK(ok, "layer '%s': the gradient penalty needs a critic without batch norm, tanh, PReLU, "
                 "linear or resampling layers", L->name);
    }
    if (!net->live) net->live = fk_calloc((size_t)net->n_layers, 1);
    if (!net->penalty && net->batch) {  // activations exist already: reallocate with the extra blocks
        const int N = net->batch;
        net->penalty = 1;
        net->batch = 0;
        net_set_batch(net, N);
    }
    net->penalty = 1;
}

void net_penalty_backward(Net *net, const float *dout, const float *v) {
    if (net->n == 0) return;  // an empty part (net_set_sync); the penalty's networks have no batch norm
    FK_CHECK(net->penalty && net->tacts, "net_penalty_backward without net_enable_penalty and net_set_batch");
    FK_CHECK(net->input != NULL, "net_penalty_backward without a forward");
    const Backend *be = net->be;
    const int N = net->n;
    const Layer *last = &net->layers[net->n_layers - 1];
    // the tangent of the input
    const float *tin = v;
    if (net->edge_in != NET_NONE) {
        be->to_native(net->tacts + net->edge_in, v, N, net->in.C, net->in.H, net->in.W, 0);
        tin = net->tacts + net->edge_in;
    }
#define TANGENT_OF(idx) ((idx) == NET_INPUT ? tin : net->tacts + net->layers[idx].out)
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        const float *x = src_act(net, L->in), *tx = TANGENT_OF(L->in);
        float *ty = net->tacts + L->out;
        const float *w = L->w != NET_NONE ? net->params + L->w : NULL;
        const int C = L->id.C, H = L->id.H, W = L->id.W;
        const size_t n = (size_t)N * dims_size(L->id);
        switch (L->kind) {
        case LAYER_CONV:
            be->conv2d_forward(ty, tx, w, NULL, N, C, H, W, L->od.C, L->u.conv.K, L->u.conv.S, L->u.conv.P);
            break;
        case LAYER_CONVT:
            be->convt2d_forward(ty, tx, w, NULL, N, C, H, W, L->od.C, L->u.conv.K, L->u.conv.S, L->u.conv.P);
            break;
        case LAYER_RELU: be->zero(ty, n), be->relu_backward(ty, tx, x, n); break;
        case LAYER_LRELU: be->lrelu_backward(ty, tx, x, n, L->u.lrelu.slope, 0); break;
        case LAYER_LAYERNORM:
            be->layernorm_jvp(ty, tx, x, net->acts + L->save, net->acts + L->save + N, w, N, C, H * W);
            break;
        case LAYER_ADD: be->add_forward(ty, tx, TANGENT_OF(L->in2), n); break;
        default: FK_CHECK(0, "layer '%s' has no tangent map", L->name);
        }
    }
    // the reverse: tangent adjoints are the first backward's output gradients
    // (dacts, and dout for the last layer); second adjoints start at zero and
    // become non-zero only below a layer norm
    be->zero(net->padj, net->act_floats);
    memset(net->live, 0, (size_t)net->n_layers);
    const float *dlast = net->edge_out != NET_NONE ? net->dacts + last->gout : dout;
    for (int i = net->n_layers - 1; i >= 0; i--) {
        const Layer *L = &net->layers[i];
        const float *ut = i == net->n_layers - 1 ? dlast : net->dacts + L->gout;
        const float *pa = net->live[i] ? net->padj + L->out : NULL;
        const float *x = src_act(net, L->in), *tx = TANGENT_OF(L->in);
        float *px = L->in == NET_INPUT ? NULL : net->padj + net->layers[L->in].out;
        const float *w = L->w != NET_NONE ? net->params + L->w : NULL;
        float *dw = L->w != NET_NONE ? net->grads + L->w : NULL;
        float *db = L->b != NET_NONE ? net->grads + L->b : NULL;
        const int C = L->id.C, H = L->id.H, W = L->id.W, K = L->u.conv.K, S = L->u.conv.S, P = L->u.conv.P;
        const size_t n = (size_t)N * dims_size(L->id);
        int feeds = 0;  // whether px receives something
        switch (L->kind) {
        case LAYER_CONV:
            be->conv2d_backward(NULL, dw, NULL, ut, tx, w, N, C, H, W, L->od.C, K, S, P, 1);
            if (pa) be->conv2d_backward(px, dw, db, pa, x, w, N, C, H, W, L->od.C, K, S, P, 1), feeds = 1;
            break;
        case LAYER_CONVT:
            be->convt2d_backward(NULL, dw, NULL, ut, tx, w, N, C, H, W, L->od.C, K, S, P, 1);
            if (pa) be->convt2d_backward(px, dw, db, pa, x, w, N, C, H, W, L->od.C, K, S, P, 1), feeds = 1;
            break;
        case LAYER_RELU:
            if (pa && px) be->relu_backward(px, pa, x, n), feeds = 1;
            break;
        case LAYER_LRELU:
            if (pa && px) be->lrelu_backward(px, pa, x, n, L->u.lrelu.slope, 1), feeds = 1;
            break;
        case LAYER_LAYERNORM:
            be->layernorm_jvp_backward(px, dw, db, pa, ut, x, tx, net->acts + L->save, net->acts + L->save + N, w,
                                       N, C, H * W);
            feeds = 1;
            break;
        case LAYER_ADD:
            if (pa) {
                float *px2 = L->in2 == NET_INPUT ? NULL : net->padj + net->layers[L->in2].out;
                be->add_backward(px, px2, pa, n);
                if (L->in2 != NET_INPUT) net->live[L->in2] = 1;
                feeds = 1;
            }
            break;
        default: FK_CHECK(0, "layer '%s' has no tangent map", L->name);
        }
        if (feeds && L->in != NET_INPUT) net->live[L->in] = 1;
    }
#undef TANGENT_OF
}
