// srnet.c: the super-resolution network (SRVGGNetCompact), its
// initialisation and its model files.
#include "nn/srnet.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/safetensors.h"
#include "util/util.h"

void sr_defaults(SrConfig *c) { *c = (SrConfig){.scale = 4, .feats = 32, .nconv = 8, .skip = UPSAMPLE_BICUBIC}; }

const char *sr_skip_name(UpsampleMode m) { return m == UPSAMPLE_BICUBIC ? "bicubic" : "nearest"; }

int sr_skip_parse(const char *name, UpsampleMode *m) {
    if (!strcmp(name, "bicubic")) *m = UPSAMPLE_BICUBIC;
    else if (!strcmp(name, "nearest")) *m = UPSAMPLE_NEAREST;
    else return -1;
    return 0;
}

int sr_skip_meta(const char *value, UpsampleMode *m) {
    if (!value) {
        *m = UPSAMPLE_NEAREST;
        return 0;
    }
    return sr_skip_parse(value, m);
}

Net *sr_net(const Backend *be, const SrConfig *c, int H, int W) {
    FK_CHECK(c->scale >= 2 && c->scale <= 4 && c->feats > 0 && c->nconv >= 0, "bad SR configuration");
    Net *net = net_create(be, 3, H, W);
    char name[64];
    int k = 0;
    for (int i = 0; i <= c->nconv; i++) {
        snprintf(name, sizeof name, "body.%d", k++);
        net_conv2d(net, NET_PREV, name, c->feats, 3, 1, 1, 1);
        snprintf(name, sizeof name, "body.%d", k++);
        net_prelu(net, NET_PREV, name);
    }
    snprintf(name, sizeof name, "body.%d", k);
    net_conv2d(net, NET_PREV, name, 3 * c->scale * c->scale, 3, 1, 1, 1);
    const int up = net_pixel_shuffle(net, NET_PREV, "upsampler", c->scale);
    const int skip = net_upsample(net, NET_INPUT, "skip", c->scale, c->skip);
    net_add(net, up, skip, "out");
    net_finish(net);
    return net;
}

void sr_init(Net *net, Rng *rng) {
    const Backend *be = net->be;
    float *host = fk_malloc(net->n_params * sizeof(float));
    be->download(host, net->params, net->n_params);
    int last = -1;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == LAYER_CONV) last = i;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *L = &net->layers[i];
        if (L->kind != LAYER_CONV) continue;
        // He initialisation for PReLU at its initial slope 0.25, so the signal
        // keeps its scale through the body (PyTorch's default init shrinks it
        // by about 3x per layer, and 17 layers deep the residual starts dead);
        // the last conv starts 10x smaller, so training starts at the skip
        const int fan_in = L->id.C * L->u.conv.K * L->u.conv.K;
        const float sd = (float)(sqrt(2.0 / (1.0 + 0.25 * 0.25) / fan_in) * (i == last ? 0.1 : 1.0));
        rng_fill_normal(rng, host + L->w, (size_t)L->od.C * fan_in, 0.0f, sd);
        for (int j = 0; j < L->od.C; j++) host[L->b + j] = 0.0f;
    }
    be->upload(net->params, host, net->n_params);
    free(host);
}

// ---------------------------------------------------------------------------
// model files

int sr_save(const char *path, const Net *net, const SrConfig *c) {
    char meta[200];
    snprintf(meta, sizeof meta,
             "{\"format\":\"fakeit-sr 1\",\"scale\":\"%d\",\"feats\":\"%d\",\"nconv\":\"%d\",\"skip\":\"%s\"}",
             c->scale, c->feats, c->nconv, sr_skip_name(c->skip));
    return ckpt_save_net(path, net, meta);
}

static int meta_int(const cJSON *o, const char *key, int lo, int hi, int *out) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, key);
    char *end = NULL;
    const long v = cJSON_IsString(e) ? strtol(e->valuestring, &end, 10) : 0;
    if (!cJSON_IsString(e) || end == e->valuestring || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int meta_skip(const cJSON *o, UpsampleMode *m) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "skip");
    if (e && !cJSON_IsString(e)) return -1;
    return sr_skip_meta(e ? e->valuestring : NULL, m);
}

Net *sr_load(const Backend *be, const char *path, SrConfig *c, int H, int W) {
    StFile f;
    if (st_load(&f, path) != 0) return NULL;
    cJSON *o = f.metadata ? cJSON_Parse(f.metadata) : NULL;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    int ok = cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "fakeit-sr 1");
    if (!ok)
        fk_error("%s: not a fakeit super-resolution model (its metadata has no \"fakeit-sr 1\" format)", path);
    else if (meta_int(o, "scale", 2, 4, &c->scale) || meta_int(o, "feats", 1, 4096, &c->feats) ||
             meta_int(o, "nconv", 0, 1000, &c->nconv) || meta_skip(o, &c->skip)) {
        fk_error("%s: the model's configuration is damaged", path);
        ok = 0;
    }
    cJSON_Delete(o);
    st_free(&f);
    if (!ok) return NULL;
    Net *net = sr_net(be, c, H, W);
    if (ckpt_load_net(path, net) != 0) {
        net_free(net);
        return NULL;
    }
    return net;
}

