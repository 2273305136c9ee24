// optimizer.c: optimiser bookkeeping over the network's single parameter block.
#include "nn/optimizer.h"

#include "util/util.h"

Optim optim_rmsprop(double lr) {
    return (Optim){.kind = OPTIM_RMSPROP, .lr = lr, .alpha = 0.99, .eps = 1e-8};
}

Optim optim_adam(double lr, double beta1, double beta2) {
    return (Optim){.kind = OPTIM_ADAM, .lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = 1e-8};
}

int optim_moments(const Optim *o) { return o->kind == OPTIM_ADAM ? 2 : 1; }

void optim_step(Optim *o, Net *net) {
    FK_CHECK(net->params != NULL, "optimiser step on an unfinished network");
    const Backend *be = net->be;
    const size_t n = net->n_params;
    const double t0 = net->prof ? fk_seconds() : 0;
    o->t++;
    float *opt = net_opt_state(net, optim_moments(o));
    switch (o->kind) {
    case OPTIM_RMSPROP:
        be->rmsprop_step(net->params, opt, net->grads, n, o->lr, o->alpha, o->eps);
        break;
    case OPTIM_ADAM:
        be->adam_step(net->params, opt, opt + n, net->grads, n, o->lr, o->beta1, o->beta2,
                      o->eps, o->t);
        break;
    }
    if (net->prof) net->prof[NET_PROF * net->n_layers] += fk_seconds() - t0;
}

void net_clip_weights(Net *net, float c) {
    const double t0 = net->prof ? fk_seconds() : 0;
    net->be->clip_weights(net->params, net->n_params, c);
    if (net->prof) net->prof[NET_PROF * net->n_layers] += fk_seconds() - t0;
}
