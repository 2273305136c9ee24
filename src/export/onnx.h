// onnx.h: a network as an ONNX model (https://onnx.ai), for other runtimes.
//
// Every layer kind of nn/net.h becomes standard ONNX operators of opset 13,
// with the weights as initialisers under the layer's PyTorch name:
//   conv, conv-transpose   Conv, ConvTranspose (weights as PyTorch stores them)
//   batch norm             the batch's own statistics, as fakeit runs it (and
//                          the original samples): ReduceMean over (N, H, W),
//                          Sub, Mul, ReduceMean, Add eps, Sqrt, Div, then the
//                          affine Mul / Add. Each image therefore depends on
//                          the batch it is in; feed batches of the training
//                          batch size, as `fakeit sample` draws them.
//   layer norm             the same over (C, H, W), per-channel affine
//   ReLU, LeakyReLU, tanh  Relu, LeakyRelu, Tanh; PReLU: PRelu, slopes (C, 1, 1)
//   linear                 Flatten, Gemm (transB), Reshape to (N, D, 1, 1)
//   pixel shuffle          DepthToSpace (mode CRD, PyTorch's channel order)
//   upsample               Resize: nearest (asymmetric, floor) or cubic with
//                          Keys' a = -0.5, half-pixel centres and clamped edges
//                          (exclude_outside 0), as ops/resample.c
//   add                    Add
#ifndef FAKEIT_ONNX_H
#define FAKEIT_ONNX_H

#include "nn/net.h"

typedef struct {
    const char *graph;            // the graph's name
    const char *input, *output;   // the names of its input and output
    int spatial;                  // 1: input height and width are free (fully convolutional networks)
    const char *doc;              // the model's doc_string (or NULL)
    const char *const *meta;      // metadata_props: n_meta key, value pairs
    int n_meta;
} OnnxModel;

// Writes `net` (its parameters and buffers downloaded from its backend) to
// `path` (whole or not at all). The batch dimension is free ("N"). 0, or -1
// after printing.
int onnx_save(const char *path, const Net *net, const OnnxModel *m);

#endif
