// onnx.c: nn/net.h's layers as ONNX nodes, written with export/protobuf.h.
// Field numbers are those of onnx/onnx.proto (IR version 8).
#include "export/onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/protobuf.h"
#include "util/files.h"
#include "util/version.h"
#include "util/util.h"

#define FAKEIT_ONNX_OPSET 13
#define FAKEIT_ONNX_IR 8

enum { T_FLOAT = 1, T_INT64 = 7 };                                  // TensorProto.DataType
enum { A_FLOAT = 1, A_INT = 2, A_STRING = 3, A_INTS = 7 };          // AttributeProto.AttributeType

typedef struct {
    Pb nodes, inits;    // GraphProto fields 1 and 5, built as they come
    const float *host;  // the network's parameters (host copy)
    const float *bufs;  // and buffers
    int tmp;            // counter for intermediate value names
} Graph;

// ---------------------------------------------------------------------------
// attributes and nodes

static void attr_ints(Pb *node, const char *name, const int64_t *v, int n) {
    Pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++) pb_int(&a, 8, v[i]);
    pb_int(&a, 20, A_INTS);
    pb_msg(node, 5, &a);
}

static void attr_int(Pb *node, const char *name, int64_t v) {
    Pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, A_INT);
    pb_msg(node, 5, &a);
}

static void attr_float(Pb *node, const char *name, float v) {
    Pb a = {0};
    pb_str(&a, 1, name);
    pb_float(&a, 2, v);
    pb_int(&a, 20, A_FLOAT);
    pb_msg(node, 5, &a);
}

static void attr_str(Pb *node, const char *name, const char *v) {
    Pb a = {0};
    pb_str(&a, 1, name);
    pb_str(&a, 4, v);
    pb_int(&a, 20, A_STRING);
    pb_msg(node, 5, &a);
}

// A node's inputs, outputs, name and type; attributes are appended to *node
// by the caller, then node_end adds it to the graph.
static void node_begin(Pb *node, const char *op, const char *name, const char *const *in, int n_in,
                       const char *out) {
    memset(node, 0, sizeof *node);
    for (int i = 0; i < n_in; i++) pb_str(node, 1, in[i]);
    pb_str(node, 2, out);
    pb_str(node, 3, name);
    pb_str(node, 4, op);
}

static void node_end(Graph *g, Pb *node) { pb_msg(&g->nodes, 1, node); }

// A node without attributes.
static void node(Graph *g, const char *op, const char *name, const char *const *in, int n_in, const char *out) {
    Pb n;
    node_begin(&n, op, name, in, n_in, out);
    node_end(g, &n);
}

// An intermediate value's name, unique in the graph: "<layer>/<what>".
static char *value(Graph *g, const char *layer, const char *what) {
    const size_t n = strlen(layer) + strlen(what) + 24;
    char *s = fk_malloc(n);
    snprintf(s, n, "%s/%s_%d", layer, what, g->tmp++);
    return s;
}

// ---------------------------------------------------------------------------
// initialisers

static void init_tensor(Graph *g, const char *name, const int64_t *dims, int ndim, int type, const void *data,
                        size_t bytes) {
    Pb t = {0};
    for (int i = 0; i < ndim; i++) pb_int(&t, 1, dims[i]);
    pb_int(&t, 2, type);
    pb_str(&t, 8, name);
    pb_bytes(&t, 9, data, bytes);  // raw_data: little-endian, as this host stores them
    pb_msg(&g->inits, 5, &t);
}

static void init_floats(Graph *g, const char *name, const float *v, const int64_t *dims, int ndim) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    init_tensor(g, name, dims, ndim, T_FLOAT, v, n * sizeof(float));
}

static char *param_name(const Layer *L, const char *suffix) {
    const size_t n = strlen(L->name) + strlen(suffix) + 2;
    char *s = fk_malloc(n);
    snprintf(s, n, "%s.%s", L->name, suffix);
    return s;
}

// A per-channel parameter (C) as (C, 1, 1), to broadcast over (N, C, H, W).
static char *channel_init(Graph *g, const Layer *L, const char *suffix, const float *v, int C) {
    char *name = param_name(L, suffix);
    const int64_t dims[3] = {C, 1, 1};
    init_floats(g, name, v, dims, 3);
    return name;
}

static char *scalar_init(Graph *g, const Layer *L, const char *what, float v) {
    char *name = param_name(L, what);
    init_floats(g, name, &v, NULL, 0);
    return name;
}

// ---------------------------------------------------------------------------
// layers

// Normalisation over `axes` with the batch's (or sample's) own statistics,
// then the per-channel affine: y = (x - mean) / sqrt(var + eps) * w + b.
static void norm_nodes(Graph *g, const Layer *L, const char *x, const char *out, const int64_t *axes, int n_axes) {
    const int C = L->id.C;
    char *w = channel_init(g, L, "weight", g->host + L->w, C), *b = channel_init(g, L, "bias", g->host + L->b, C);
    char *eps = scalar_init(g, L, "eps", L->u.norm.eps);
    char *mean = value(g, L->name, "mean"), *d = value(g, L->name, "centred"), *d2 = value(g, L->name, "squared"),
         *var = value(g, L->name, "var"), *ve = value(g, L->name, "var_eps"), *sd = value(g, L->name, "std"),
         *xn = value(g, L->name, "normalised"), *xw = value(g, L->name, "scaled");
    Pb n;
    node_begin(&n, "ReduceMean", mean, (const char *[]){x}, 1, mean);
    attr_ints(&n, "axes", axes, n_axes);
    attr_int(&n, "keepdims", 1);
    node_end(g, &n);
    node(g, "Sub", d, (const char *[]){x, mean}, 2, d);
    node(g, "Mul", d2, (const char *[]){d, d}, 2, d2);
    node_begin(&n, "ReduceMean", var, (const char *[]){d2}, 1, var);
    attr_ints(&n, "axes", axes, n_axes);
    attr_int(&n, "keepdims", 1);
    node_end(g, &n);
    node(g, "Add", ve, (const char *[]){var, eps}, 2, ve);
    node(g, "Sqrt", sd, (const char *[]){ve}, 1, sd);
    node(g, "Div", xn, (const char *[]){d, sd}, 2, xn);
    node(g, "Mul", xw, (const char *[]){xn, w}, 2, xw);
    node(g, "Add", L->name, (const char *[]){xw, b}, 2, out);
    free(w), free(b), free(eps), free(mean), free(d), free(d2), free(var), free(ve), free(sd), free(xn), free(xw);
}

static void conv_node(Graph *g, const Layer *L, const char *x, const char *out) {
    const int K = L->u.conv.K, S = L->u.conv.S, P = L->u.conv.P;
    const int transposed = L->kind == LAYER_CONVT;
    // PyTorch's layouts: conv (OC, C, K, K), conv-transpose (C, OC, K, K), as ONNX's
    const int64_t wd[4] = {transposed ? L->id.C : L->od.C, transposed ? L->od.C : L->id.C, K, K};
    char *w = param_name(L, "weight"), *b = L->b != NET_NONE ? param_name(L, "bias") : NULL;
    init_floats(g, w, g->host + L->w, wd, 4);
    if (b) init_floats(g, b, g->host + L->b, (const int64_t[]){L->od.C}, 1);
    Pb n;
    node_begin(&n, transposed ? "ConvTranspose" : "Conv", L->name, (const char *[]){x, w, b}, b ? 3 : 2, out);
    attr_ints(&n, "kernel_shape", (const int64_t[]){K, K}, 2);
    attr_ints(&n, "strides", (const int64_t[]){S, S}, 2);
    attr_ints(&n, "pads", (const int64_t[]){P, P, P, P}, 4);
    attr_ints(&n, "dilations", (const int64_t[]){1, 1}, 2);
    attr_int(&n, "group", 1);
    node_end(g, &n);
    free(w), free(b);
}

static void linear_nodes(Graph *g, const Layer *L, const char *x, const char *out) {
    const int D = (int)dims_size(L->id), OD = L->od.C;
    char *w = param_name(L, "weight"), *b = L->b != NET_NONE ? param_name(L, "bias") : NULL;
    init_floats(g, w, g->host + L->w, (const int64_t[]){OD, D}, 2);
    if (b) init_floats(g, b, g->host + L->b, (const int64_t[]){OD}, 1);
    char *flat = value(g, L->name, "flat"), *y = value(g, L->name, "gemm"), *shape = param_name(L, "shape");
    const int64_t sv[4] = {0, OD, 1, 1};  // 0: the batch, copied
    init_tensor(g, shape, (const int64_t[]){4}, 1, T_INT64, sv, sizeof sv);
    Pb n;
    node_begin(&n, "Flatten", flat, (const char *[]){x}, 1, flat);
    attr_int(&n, "axis", 1);
    node_end(g, &n);
    node_begin(&n, "Gemm", y, (const char *[]){flat, w, b}, b ? 3 : 2, y);
    attr_int(&n, "transB", 1);
    node_end(g, &n);
    node(g, "Reshape", L->name, (const char *[]){y, shape}, 2, out);
    free(w), free(b), free(flat), free(y), free(shape);
}

static void upsample_node(Graph *g, const Layer *L, const char *x, const char *out) {
    const float s = (float)L->u.scale.r;
    const float sc[4] = {1, 1, s, s};
    char *scales = param_name(L, "scales");
    init_floats(g, scales, sc, (const int64_t[]){4}, 1);
    Pb n;
    node_begin(&n, "Resize", L->name, (const char *[]){x, "", scales}, 3, out);  // no roi
    if (L->u.scale.bicubic) {
        attr_str(&n, "mode", "cubic");
        attr_float(&n, "cubic_coeff_a", -0.5f);
        attr_str(&n, "coordinate_transformation_mode", "half_pixel");
        attr_int(&n, "exclude_outside", 0);
    } else {
        attr_str(&n, "mode", "nearest");
        attr_str(&n, "coordinate_transformation_mode", "asymmetric");
        attr_str(&n, "nearest_mode", "floor");
    }
    node_end(g, &n);
    free(scales);
}

static void layer_nodes(Graph *g, const Net *net, int i, const char *input, const char *output) {
    const Layer *L = &net->layers[i];
    const char *x = L->in == NET_INPUT ? input : net->layers[L->in].name;
    const char *out = i == net->n_layers - 1 ? output : L->name;
    Pb n;
    switch (L->kind) {
    case LAYER_CONV:
    case LAYER_CONVT: conv_node(g, L, x, out); break;
    case LAYER_BATCHNORM: norm_nodes(g, L, x, out, (const int64_t[]){0, 2, 3}, 3); break;
    case LAYER_LAYERNORM: norm_nodes(g, L, x, out, (const int64_t[]){1, 2, 3}, 3); break;
    case LAYER_RELU: node(g, "Relu", L->name, &x, 1, out); break;
    case LAYER_TANH: node(g, "Tanh", L->name, &x, 1, out); break;
    case LAYER_LRELU:
        node_begin(&n, "LeakyRelu", L->name, &x, 1, out);
        attr_float(&n, "alpha", L->u.lrelu.slope);
        node_end(g, &n);
        break;
    case LAYER_PRELU: {
        char *s = channel_init(g, L, "weight", g->host + L->w, L->id.C);
        node(g, "PRelu", L->name, (const char *[]){x, s}, 2, out);
        free(s);
        break;
    }
    case LAYER_LINEAR: linear_nodes(g, L, x, out); break;
    case LAYER_PIXEL_SHUFFLE:
        node_begin(&n, "DepthToSpace", L->name, &x, 1, out);
        attr_int(&n, "blocksize", L->u.scale.r);
        attr_str(&n, "mode", "CRD");
        node_end(g, &n);
        break;
    case LAYER_UPSAMPLE: upsample_node(g, L, x, out); break;
    case LAYER_ADD: {
        const char *y = L->in2 == NET_INPUT ? input : net->layers[L->in2].name;
        node(g, "Add", L->name, (const char *[]){x, y}, 2, out);
        break;
    }
    }
}

// ---------------------------------------------------------------------------
// the model

// ValueInfoProto of a float tensor (N, C, H, W); H and W named when free.
static void value_info(Pb *graph, int field, const char *name, int C, int H, int W, const char *hw_names[2]) {
    Pb shape = {0};
    for (int d = 0; d < 4; d++) {
        Pb dim = {0};
        if (d == 0)
            pb_str(&dim, 2, "N");
        else if (d == 1)
            pb_int(&dim, 1, C);
        else if (hw_names)
            pb_str(&dim, 2, hw_names[d - 2]);
        else
            pb_int(&dim, 1, d == 2 ? H : W);
        pb_msg(&shape, 1, &dim);
    }
    Pb tensor = {0}, type = {0}, vi = {0};
    pb_int(&tensor, 1, T_FLOAT);
    pb_msg(&tensor, 2, &shape);
    pb_msg(&type, 1, &tensor);
    pb_str(&vi, 1, name);
    pb_msg(&vi, 2, &type);
    pb_msg(graph, field, &vi);
}

int onnx_save(const char *path, const Net *net, const OnnxModel *m) {
    FK_CHECK(net->n_layers > 0, "an empty network");
    const Backend *be = net->be;
    float *host = fk_malloc((net->n_params + net->n_buffers + 1) * sizeof(float));
    be->download(host, net->params, net->n_params);
    if (net->n_buffers) be->download(host + net->n_params, net->buffers, net->n_buffers);
    Graph g = {.host = host, .bufs = host + net->n_params};
    for (int i = 0; i < net->n_layers; i++) layer_nodes(&g, net, i, m->input, m->output);

    // GraphProto: the nodes (field 1) and initialisers (field 5) are framed already
    Pb graph = g.nodes;
    pb_str(&graph, 2, m->graph);
    pb_append(&graph, &g.inits);
    const Dims id = net->in, od = net_out_dims(net);
    const char *in_hw[2] = {"H", "W"}, *out_hw[2] = {"outH", "outW"};
    value_info(&graph, 11, m->input, id.C, id.H, id.W, m->spatial ? in_hw : NULL);
    value_info(&graph, 12, m->output, od.C, od.H, od.W, m->spatial ? out_hw : NULL);

    Pb model = {0}, opset = {0};
    pb_int(&model, 1, FAKEIT_ONNX_IR);
    pb_str(&model, 2, "fakeit");
    pb_str(&model, 3, FAKEIT_VERSION);
    if (m->doc) pb_str(&model, 6, m->doc);
    pb_msg(&model, 7, &graph);
    pb_str(&opset, 1, "");
    pb_int(&opset, 2, FAKEIT_ONNX_OPSET);
    pb_msg(&model, 8, &opset);
    for (int i = 0; i < m->n_meta; i++) {
        Pb kv = {0};
        pb_str(&kv, 1, m->meta[2 * i]);
        pb_str(&kv, 2, m->meta[2 * i + 1]);
        pb_msg(&model, 14, &kv);
    }
    const int rc = fk_write_file(path, model.p, model.n);
    pb_free(&model);
    free(host);
    return rc;
}
