// runstate.c: the WGAN's files: its configuration in a model file's
// metadata, and the run state that an exact resume needs.
#include "gan/runstate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/augment.h"
#include "nn/checkpoint.h"
#include "nn/safetensors.h"
#include "util/util.h"

// ---------------------------------------------------------------------------
// configuration <-> metadata (safetensors metadata values are strings)

#define CONFIG_FIELDS(X)                                                                       \
    X(isize, int) X(nc, int) X(nz, int) X(ngf, int) X(ndf, int) X(n_extra, int) X(bn_g, int) \
    X(batch, int) X(adam, int) X(lr_g, double) X(lr_d, double) X(beta1, double)              \
    X(beta2, double) X(clip, double) X(d_iters, int) X(d_iters_warm, int) X(warm_iters, int) \
    X(warm_every, int)
// added with WGAN-GP; files written before lack them and get the defaults
#define OPTIONAL_FIELDS(X) X(loss, int) X(critic_norm, int) X(gp_lambda, double)
// added with DiffAugment, written only when in use (files without it stay as they were)
#define AUGMENT_FIELDS(X) X(augment, int)

char *wgan_config_json(const WganConfig *c, const char *role) {
    cJSON *o = cJSON_CreateObject();
    char v[64];
    cJSON_AddStringToObject(o, "format", "fakeit 1");
    cJSON_AddStringToObject(o, "role", role);
#define PUT(name, type)                                   \
    snprintf(v, sizeof v, "%.17g", (double)c->name); \
    cJSON_AddStringToObject(o, #name, v);
    CONFIG_FIELDS(PUT)
    OPTIONAL_FIELDS(PUT)
    if (c->augment) { AUGMENT_FIELDS(PUT) }
#undef PUT
    snprintf(v, sizeof v, "%" PRIu64, c->seed);
    cJSON_AddStringToObject(o, "seed", v);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

int wgan_config_parse(const char *metadata, WganConfig *c, const char *path) {
    cJSON *o = metadata ? cJSON_Parse(metadata) : NULL;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "fakeit 1") != 0) {
        fk_error("%s: not a fakeit model (its metadata has no fakeit configuration)", path);
        cJSON_Delete(o);
        return -1;
    }
    wgan_defaults(c);
    const char *bad = NULL;
    // a field is damaged when present but not a number, or (required) missing
#define GET_FIELD(name, type, required)                                                        \
    {                                                                                          \
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, #name);                           \
        char *end = NULL;                                                                      \
        double d = cJSON_IsString(e) ? strtod(e->valuestring, &end) : 0;                       \
        if ((e || required) && (!cJSON_IsString(e) || end == e->valuestring || *end))          \
            bad = bad ? bad : #name;                                                           \
        else if (e)                                                                            \
            c->name = (type)d;                                                                 \
    }
#define GET(name, type) GET_FIELD(name, type, 1)
#define GET_OPT(name, type) GET_FIELD(name, type, 0)
    CONFIG_FIELDS(GET)
    OPTIONAL_FIELDS(GET_OPT)
    AUGMENT_FIELDS(GET_OPT)
#undef GET
#undef GET_OPT
#undef GET_FIELD
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (!cJSON_IsString(seed)) bad = bad ? bad : "seed";
    else c->seed = strtoull(seed->valuestring, NULL, 10);
    // the ranges of train's options (a generator narrower than 2 has no channels left at its last layer)
    if (!bad && (!dcgan_size_ok(c->isize) || c->isize > 4096 || (c->nc != 1 && c->nc != 3) || c->nz < 1 ||
                 c->ngf < 2 || c->ndf < 1 || c->n_extra < 0 || c->n_extra > 100 || c->batch < 2 || c->batch > 65536 ||
                 (c->loss != WGAN_LOSS_CLIP && c->loss != WGAN_LOSS_GP) || c->critic_norm < 0 || c->critic_norm > 2 || c->augment < 0 || c->augment > AUGMENT_ALL || c->nz > 100000 || c->ngf > 100000 || c->ndf > 100000))
        bad = "sizes";
    cJSON_Delete(o);
    if (bad) {
        fk_error("%s: the model's configuration is damaged (field '%s')", path, bad);
        return -1;
    }
    return 0;
}

int wgan_config_read(const char *path, WganConfig *c) {
    StFile f;
    if (st_load(&f, path) != 0) return -1;
    int rc = wgan_config_parse(f.metadata, c, path);
    st_free(&f);
    return rc;
}

// ---------------------------------------------------------------------------
// the run

int runstate_save(const char *dir, const Wgan *w, const float *fixed, int n_fixed, const char *extra) {
    const Backend *be = w->be;
    char *gpath = fk_join(dir, "netG.safetensors"), *dpath = fk_join(dir, "netD.safetensors"), *spath = fk_join(dir, "state.safetensors");
    char *gmeta = wgan_config_json(&w->cfg, "generator"), *dmeta = wgan_config_json(&w->cfg, "critic");
    int rc = ckpt_save_net(gpath, w->G, gmeta) || ckpt_save_net(dpath, w->D, dmeta) ? -1 : 0;
    free(gmeta), free(dmeta);
    if (!rc) {
        Net *nets[2] = {w->G, w->D};
        const char *tag[2] = {"G", "D"};
        float *host[2][3];
        StOut t[12];
        char names[2][3][16];
        int n = 0;
        for (int k = 0; k < 2; k++) {
            Net *net = nets[k];
            const int moments = w->cfg.adam ? 2 : 1;  // RMSprop: square_avg; Adam: m, v
            const size_t sizes[3] = {net->n_params, net->n_buffers, moments * net->n_params};
            const float *src[3] = {net->params, net->buffers, net_opt_state(net, moments)};
            const char *what[3] = {"params", "buffers", "opt"};
            for (int j = 0; j < 3; j++) {
                host[k][j] = fk_malloc((sizes[j] + 1) * sizeof(float));
                be->download(host[k][j], src[j], sizes[j]);
                snprintf(names[k][j], sizeof names[k][j], "%s.%s", tag[k], what[j]);
                t[n++] = (StOut){.name = names[k][j], .dtype = ST_F32, .ndim = 1, .shape = {(int64_t)sizes[j]}, .data = host[k][j]};
            }
        }
        int64_t rng[4];
        memcpy(rng, w->rng.s, sizeof rng);
        t[n++] = (StOut){.name = "rng", .dtype = ST_I64, .ndim = 1, .shape = {4}, .data = rng};
        const uint32_t count = w->ds ? w->ds->count : 0;
        t[n++] = (StOut){.name = "order", .dtype = ST_I32, .ndim = 1, .shape = {count}, .data = w->order};
        t[n++] = (StOut){.name = "fixed_noise", .dtype = ST_F32, .ndim = 2, .shape = {n_fixed, w->cfg.nz}, .data = fixed};
        // counters ride in the metadata, next to the configuration
        char *cfg = wgan_config_json(&w->cfg, "state");
        cJSON *meta = cJSON_Parse(cfg);
        free(cfg);
        char v[64];
#define PUTL(key, val) snprintf(v, sizeof v, "%ld", (long)(val)), cJSON_AddStringToObject(meta, key, v)
        PUTL("gen_iter", w->gen_iter);
        PUTL("epoch", w->epoch);
        PUTL("pos", w->pos);
        PUTL("images", w->images);
        PUTL("og_t", w->og.t);
        PUTL("od_t", w->od.t);
        PUTL("G_bn_batches", w->G->bn_batches);
        PUTL("D_bn_batches", w->D->bn_batches);
        PUTL("data_count", count);
#undef PUTL
        cJSON *ex = extra ? cJSON_Parse(extra) : NULL, *e;
        FK_CHECK(!extra || cJSON_IsObject(ex), "runstate_save: extra metadata is not a JSON object");
        cJSON_ArrayForEach(e, ex) if (cJSON_IsString(e)) cJSON_AddStringToObject(meta, e->string, e->valuestring);
        cJSON_Delete(ex);
        char *ms = cJSON_PrintUnformatted(meta);
        cJSON_Delete(meta);
        rc = st_save(spath, t, n, ms);
        free(ms);
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 3; j++) free(host[k][j]);
    }
    free(gpath), free(dpath), free(spath);
    return rc;
}

char *runstate_metadata(const char *dir) {
    char *spath = fk_join(dir, "state.safetensors");
    StFile f;
    char *m = NULL;
    if (st_load(&f, spath) == 0) {
        if (f.metadata) m = f.metadata, f.metadata = NULL;
        else fk_error("%s: no metadata (not a fakeit run)", spath);
        st_free(&f);
    }
    free(spath);
    return m;
}

static int meta_long(const cJSON *m, const char *key, long *out) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, key);
    char *end;
    if (!cJSON_IsString(e)) return -1;
    errno = 0;
    *out = strtol(e->valuestring, &end, 10);
    return errno || end == e->valuestring || *end ? -1 : 0;
}

int runstate_load(const char *dir, Wgan *w, float *fixed, int n_fixed) {
    char *spath = fk_join(dir, "state.safetensors");
    StFile f;
    int rc = st_load(&f, spath);
    cJSON *meta = NULL;
    const Backend *be = w->be;
    if (!rc) {
        meta = f.metadata ? cJSON_Parse(f.metadata) : NULL;
        long v[9];
        static const char *const keys[9] = {"gen_iter", "epoch", "pos", "images", "og_t", "od_t",
                                            "G_bn_batches", "D_bn_batches", "data_count"};
        for (int i = 0; i < 9 && !rc; i++)
            if (meta_long(meta, keys[i], &v[i]) != 0) fk_error("%s: counter '%s' is missing or damaged", spath, keys[i]), rc = -1;
        const uint32_t count = w->ds ? w->ds->count : 0;
        if (!rc && v[8] != (long)count) {
            fk_error("%s: the run was trained on a data set of %ld images, this one has %u (resume with the same data set)",
                     spath, v[8], count);
            rc = -1;
        }
        if (!rc && (v[2] < 0 || v[2] > (long)count)) fk_error("%s: data position out of range", spath), rc = -1;
        Net *nets[2] = {w->G, w->D};
        const char *tag[2] = {"G", "D"};
        for (int k = 0; k < 2 && !rc; k++) {
            Net *net = nets[k];
            const int moments = w->cfg.adam ? 2 : 1;
            size_t sizes[3] = {net->n_params, net->n_buffers, moments * net->n_params};
            float *dst[3] = {net->params, net->buffers, net_opt_state(net, moments)};
            const char *what[3] = {"params", "buffers", "opt"};
            for (int j = 0; j < 3 && !rc; j++) {
                char name[32];
                snprintf(name, sizeof name, "%s.%s", tag[k], what[j]);
                // states of fakeit 0.2 kept RMSprop's state in two moments' room: square_avg, zeros
                const StTensor *old = j == 2 && moments == 1 ? st_find(&f, name) : NULL;
                const size_t take = old && st_numel(old) == 2 * net->n_params ? 2 * net->n_params : sizes[j];
                float *h = fk_malloc((take + 1) * sizeof(float));
                const char *why = ckpt_take_f32(&f, name, 0, NULL, take, h);
                if (why) fk_error("%s: tensor '%s' %s", spath, name, why), rc = -1;
                else be->upload(dst[j], h, sizes[j]);
                free(h);
            }
        }
        const StTensor *r = st_find(&f, "rng"), *o = st_find(&f, "order");
        if (!rc && (!r || r->dtype != ST_I64 || st_numel(r) != 4)) fk_error("%s: tensor 'rng' is missing or damaged", spath), rc = -1;
        if (!rc && (!o || o->dtype != ST_I32 || st_numel(o) != count)) fk_error("%s: tensor 'order' is missing or damaged", spath), rc = -1;
        if (!rc) {
            memcpy(w->rng.s, r->data, sizeof w->rng.s);
            if (count) memcpy(w->order, o->data, count * sizeof(uint32_t));
            for (uint32_t i = 0; i < count && !rc; i++)
                if (w->order[i] >= count) fk_error("%s: data order out of range", spath), rc = -1;
        }
        if (!rc) {
            const char *why = ckpt_take_f32(&f, "fixed_noise", 0, NULL, (size_t)n_fixed * w->cfg.nz, fixed);
            if (why) fk_error("%s: tensor 'fixed_noise' %s", spath, why), rc = -1;
        }
        if (!rc) {
            w->gen_iter = v[0], w->epoch = v[1], w->pos = v[2], w->images = v[3];
            w->og.t = v[4], w->od.t = v[5];
            w->G->bn_batches = v[6], w->D->bn_batches = v[7];
        }
        cJSON_Delete(meta);
        st_free(&f);
    }
    free(spath);
    return rc;
}
