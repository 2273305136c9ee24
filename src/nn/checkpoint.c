// checkpoint.c: one network to and from a safetensors file, under its
// PyTorch state_dict names.
#include "nn/checkpoint.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/safetensors.h"
#include "util/util.h"

int ckpt_save_net(const char *path, const Net *net, const char *metadata) {
    const Backend *be = net->be;
    float *params = fk_malloc((net->n_params + 1) * sizeof(float));
    float *bufs = fk_malloc((net->n_buffers + 1) * sizeof(float));
    be->download(params, net->params, net->n_params);
    be->download(bufs, net->buffers, net->n_buffers);
    const int64_t tracked = net->bn_batches;
    StOut *t = fk_calloc(2 * (size_t)net->n_tensors, sizeof(StOut));
    char **names = fk_calloc((size_t)net->n_tensors, sizeof(char *));
    static const char rv[] = ".running_var";
    int n = 0;
    for (int i = 0; i < net->n_tensors; i++) {
        const NetTensor *nt = &net->tensors[i];
        t[n] = (StOut){.name = nt->name, .dtype = ST_F32, .ndim = nt->ndim,
                       .data = (nt->role == NET_PARAM ? params : bufs) + nt->off};
        for (int d = 0; d < nt->ndim; d++) t[n].shape[d] = nt->dims[d];
        n++;
        // every batch norm's running_var is followed by PyTorch's third buffer
        const size_t len = strlen(nt->name);
        if (nt->role == NET_BUFFER && len > sizeof rv - 1 && !strcmp(nt->name + len - (sizeof rv - 1), rv)) {
            names[i] = fk_malloc(len + 16);
            sprintf(names[i], "%.*s.num_batches_tracked", (int)(len - (sizeof rv - 1)), nt->name);
            t[n++] = (StOut){.name = names[i], .dtype = ST_I64, .ndim = 0, .data = &tracked};
        }
    }
    int rc = st_save(path, t, n, metadata);
    for (int i = 0; i < net->n_tensors; i++) free(names[i]);
    free(names), free(t), free(params), free(bufs);
    return rc;
}

// Copies F32 tensor `name` of f into dst (n floats); error text or NULL.
const char *ckpt_take_f32(const StFile *f, const char *name, int ndim, const int *dims, size_t n, float *dst) {
    const StTensor *s = st_find(f, name);
    if (!s) return "is missing";
    if (s->dtype != ST_F32) return "is not F32";
    if (dims) {
        if (s->ndim != ndim) return "has the wrong number of dimensions (a model of another configuration?)";
        for (int d = 0; d < ndim; d++)
            if (s->shape[d] != dims[d]) return "has the wrong shape (a model of another configuration?)";
    }
    if (st_numel(s) != n) return "has the wrong size";
    memcpy(dst, s->data, n * sizeof(float));
    return NULL;
}

static int load_net_from(const StFile *f, Net *net, const char *path) {
    float *params = fk_malloc((net->n_params + 1) * sizeof(float));
    float *bufs = fk_malloc((net->n_buffers + 1) * sizeof(float));
    int rc = 0;
    for (int i = 0; i < net->n_tensors && !rc; i++) {
        const NetTensor *nt = &net->tensors[i];
        const char *why = ckpt_take_f32(f, nt->name, nt->ndim, nt->dims, net_tensor_size(nt),
                                   (nt->role == NET_PARAM ? params : bufs) + nt->off);
        if (why) fk_error("%s: tensor '%s' %s", path, nt->name, why), rc = -1;
    }
    if (!rc) {
        // nothing unexpected: every tensor is the net's or a num_batches_tracked
        for (int i = 0; i < f->n && !rc; i++) {
            const StTensor *s = &f->tensors[i];
            const char *dot = strrchr(s->name, '.');
            if (net_tensor(net, s->name)) continue;
            if (dot && !strcmp(dot, ".num_batches_tracked") && s->dtype == ST_I64 && st_numel(s) == 1) {
                int64_t v;
                memcpy(&v, s->data, sizeof v);
                net->bn_batches = (long)v;
                continue;
            }
            fk_error("%s: unexpected tensor '%s' (a model of another configuration or program?)", path, s->name);
            rc = -1;
        }
    }
    if (!rc) {
        net->be->upload(net->params, params, net->n_params);
        net->be->upload(net->buffers, bufs, net->n_buffers);
    }
    free(params), free(bufs);
    return rc;
}

int ckpt_load_net(const char *path, Net *net) {
    StFile f;
    if (st_load(&f, path) != 0) return -1;
    int rc = load_net_from(&f, net, path);
    st_free(&f);
    return rc;
}

