// dcgan.c: DCGAN_G / DCGAN_D, transcribed layer by layer from the reference.
#include "nn/dcgan.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/util.h"

// the pyramid halves the size down to 4 x 4 (the generator doubles it up from 4)
int dcgan_size_ok(int isize) { return isize >= 16 && isize <= (1 << 20) && (isize & (isize - 1)) == 0; }

// Appends the normalisation and activation of one block.
static void norm_act(Net *net, const char *stage, int c, DcganNorm norm, int leaky) {
    char name[80];
    if (norm == DCGAN_NORM_BATCH) {
        snprintf(name, sizeof name, "main.%s:%d:batchnorm", stage, c);
        net_batchnorm(net, NET_PREV, name);
    } else if (norm == DCGAN_NORM_LAYER) {
        snprintf(name, sizeof name, "main.%s:%d:layernorm", stage, c);
        net_layernorm(net, NET_PREV, name);
    }
    snprintf(name, sizeof name, "main.%s:%d:relu", stage, c);
    if (leaky)
        net_lrelu(net, NET_PREV, name, 0.2f);
    else
        net_relu(net, NET_PREV, name);
}

Net *dcgan_generator(const Backend *be, int isize, int nz, int nc, int ngf, int n_extra, DcganNorm norm) {
    FK_CHECK(dcgan_size_ok(isize), "image size %d is not a power of two >= 16", isize);
    FK_CHECK(norm != DCGAN_NORM_LAYER, "the generator uses batch norm or none");
    char name[80];
    int cngf = ngf / 2;
    for (int t = 4; t != isize; t *= 2) cngf *= 2;  // ngf * isize / 8
    Net *net = net_create(be, nz, 1, 1);
    snprintf(name, sizeof name, "main.initial:%d-%d:convt", nz, cngf);
    net_convt2d(net, NET_PREV, name, cngf, 4, 1, 0, 0);
    norm_act(net, "initial", cngf, norm, 0);
    for (int csize = 4; csize < isize / 2; csize *= 2) {
        snprintf(name, sizeof name, "main.pyramid:%d-%d:convt", cngf, cngf / 2);
        net_convt2d(net, NET_PREV, name, cngf / 2, 4, 2, 1, 0);
        norm_act(net, "pyramid", cngf / 2, norm, 0);
        cngf /= 2;
    }
    for (int t = 0; t < n_extra; t++) {
        char stage[40];
        snprintf(stage, sizeof stage, "extra-layers-%d", t);
        snprintf(name, sizeof name, "main.%s:%d:conv", stage, cngf);
        net_conv2d(net, NET_PREV, name, cngf, 3, 1, 1, 0);
        norm_act(net, stage, cngf, norm, 0);
    }
    snprintf(name, sizeof name, "main.final:%d-%d:convt", cngf, nc);
    net_convt2d(net, NET_PREV, name, nc, 4, 2, 1, 0);
    snprintf(name, sizeof name, "main.final:%d:tanh", nc);
    net_tanh(net, NET_PREV, name);
    net_finish(net);
    return net;
}

Net *dcgan_critic(const Backend *be, int isize, int nc, int ndf, int n_extra, DcganNorm norm) {
    FK_CHECK(dcgan_size_ok(isize), "image size %d is not a power of two >= 16", isize);
    char name[80];
    Net *net = net_create(be, nc, isize, isize);
    snprintf(name, sizeof name, "main.initial:%d-%d:conv", nc, ndf);
    net_conv2d(net, NET_PREV, name, ndf, 4, 2, 1, 0);
    snprintf(name, sizeof name, "main.initial:%d:relu", ndf);
    net_lrelu(net, NET_PREV, name, 0.2f);
    int csize = isize / 2, cndf = ndf;
    for (int t = 0; t < n_extra; t++) {
        char stage[40];
        snprintf(stage, sizeof stage, "extra-layers-%d", t);
        snprintf(name, sizeof name, "main.%s:%d:conv", stage, cndf);
        net_conv2d(net, NET_PREV, name, cndf, 3, 1, 1, 0);
        norm_act(net, stage, cndf, norm, 1);
    }
    for (; csize > 4; csize /= 2) {
        snprintf(name, sizeof name, "main.pyramid:%d-%d:conv", cndf, cndf * 2);
        net_conv2d(net, NET_PREV, name, cndf * 2, 4, 2, 1, 0);
        norm_act(net, "pyramid", cndf * 2, norm, 1);
        cndf *= 2;
    }
    snprintf(name, sizeof name, "main.final:%d-%d:conv", cndf, 1);
    net_conv2d(net, NET_PREV, name, 1, 4, 1, 0, 0);
    net_finish(net);
    return net;
}

void dcgan_init(Net *net, Rng *rng) {
    const Backend *be = net->be;
    float *host = fk_malloc(net->n_params * sizeof(float));
    be->download(host, net->params, net->n_params);
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        if (L->kind == LAYER_CONV || L->kind == LAYER_CONVT) {
            const size_t nw = (size_t)L->u.conv.K * L->u.conv.K * L->id.C * L->od.C;
            rng_fill_normal(rng, host + L->w, nw, 0.0f, 0.02f);
        } else if (L->kind == LAYER_BATCHNORM) {
            rng_fill_normal(rng, host + L->w, (size_t)L->id.C, 1.0f, 0.02f);
            for (int c = 0; c < L->id.C; c++) host[L->b + c] = 0.0f;
        }
    }
    be->upload(net->params, host, net->n_params);
    free(host);
}
