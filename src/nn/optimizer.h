// optimizer.h: optimiser steps and weight clipping of a whole network, each
// one backend call over the network's parameter block.
#ifndef FAKEIT_OPTIMIZER_H
#define FAKEIT_OPTIMIZER_H

#include "nn/net.h"

typedef enum { OPTIM_RMSPROP, OPTIM_ADAM } OptimKind;

typedef struct {
    OptimKind kind;
    double lr;
    double alpha;         // RMSprop smoothing (PyTorch default 0.99)
    double beta1, beta2;  // Adam moments
    double eps;           // 1e-8 for both, as PyTorch
    long t;               // steps taken (Adam's bias correction uses t + 1 on the next step)
} Optim;

Optim optim_rmsprop(double lr);                             // alpha 0.99, eps 1e-8
Optim optim_adam(double lr, double beta1, double beta2);    // eps 1e-8

// One step on net->params from net->grads; state lives in net->opt
// (net_opt_state; RMSprop: square_avg; Adam: m then v).
int optim_moments(const Optim *o);
void optim_step(Optim *o, Net *net);

// Clamps every parameter of the network (norm weights and biases included,
// as the original WGAN does) to [-c, c].
void net_clip_weights(Net *net, float c);

#endif
