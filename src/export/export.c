// export.c: which network a model file holds, its metadata, and writing it
// as ONNX.
#include "export/export.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "export/onnx.h"
#include "gan/generator.h"
#include "gan/runstate.h"
#include "nn/safetensors.h"
#include "nn/srnet.h"
#include "util/util.h"
#include "util/version.h"

// ---------------------------------------------------------------------------
// metadata_props: the model file's own metadata, then fakeit's keys

typedef struct {
    char **kv;  // key, value, key, value, ...
    int n, cap;
} Meta;

static void meta_add(Meta *m, const char *k, const char *v) {
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->kv = realloc(m->kv, (size_t)m->cap * 2 * sizeof(char *));
        FK_CHECK(m->kv != NULL, "out of memory");
    }
    m->kv[2 * m->n] = strdup(k), m->kv[2 * m->n + 1] = strdup(v);
    FK_CHECK(m->kv[2 * m->n] && m->kv[2 * m->n + 1], "out of memory");
    m->n++;
}

// Every string of a JSON object of strings (a safetensors file's metadata).
static void meta_add_json(Meta *m, const char *json, const char *prefix) {
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    for (cJSON *it = o ? o->child : NULL; it; it = it->next)
        if (cJSON_IsString(it)) {
            char key[160];
            snprintf(key, sizeof key, "%s%s", prefix, it->string);
            meta_add(m, key, it->valuestring);
        }
    cJSON_Delete(o);
}

static void meta_free(Meta *m) {
    for (int i = 0; i < 2 * m->n; i++) free(m->kv[i]);
    free(m->kv);
}

// The model file's metadata as JSON text (malloc'd), or NULL after printing.
static char *file_metadata(const char *path) {
    StFile f;
    if (st_load(&f, path) != 0) return NULL;
    char *meta = f.metadata ? strdup(f.metadata) : strdup("{}");
    st_free(&f);
    return meta;
}

// 1 when the metadata's `key` is a string starting with `value`.
static int meta_is(const char *meta, const char *key, const char *value) {
    cJSON *o = cJSON_Parse(meta);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    const int is = cJSON_IsString(f) && !strncmp(f->valuestring, value, strlen(value));
    cJSON_Delete(o);
    return is;
}

// ---------------------------------------------------------------------------

static int export_sr(const char *path, const char *meta_json, const char *out) {
    const Backend *be = backend_find("ref");
    SrConfig c;
    Net *net = sr_load(be, path, &c, 16, 16);
    if (!net) return 1;
    Meta m = {0};
    meta_add_json(&m, meta_json, "");
    char v[64];
    meta_add(&m, "fakeit.version", FAKEIT_VERSION);
    meta_add(&m, "fakeit.kind", "upscaler");
    meta_add(&m, "fakeit.source", path);
    snprintf(v, sizeof v, "%d", c.scale);
    meta_add(&m, "fakeit.scale", v);
    meta_add(&m, "fakeit.input", "image (N, 3, H, W): RGB in [0, 1], byte / 255");
    meta_add(&m, "fakeit.output",
             "image (N, 3, H*scale, W*scale), unclamped: bytes as round(clamp(v, 0, 1) * 255), as fakeit upscale");
    const OnnxModel om = {
        .graph = "fakeit_upscaler", .input = "image", .output = "upscaled", .spatial = 1,
        .doc = "fakeit super-resolution model (SRVGGNetCompact with a bicubic or nearest skip)",
        .meta = (const char *const *)m.kv, .n_meta = m.n,
    };
    const int rc = onnx_save(out, net, &om) ? 1 : 0;
    if (!rc) printf("wrote %s: x%d upscaler, input (N, 3, H, W) in [0, 1]\n", out, c.scale);
    meta_free(&m);
    net_free(net);
    return rc;
}

static int export_gan(const char *model, const char *file, const char *meta_json, int critic, const char *out) {
    const Backend *be = backend_find("ref");
    WganConfig cfg;
    Net *net = gen_load(be, file, critic, &cfg);
    if (!net) return 1;
    char v[256];
    Meta m = {0};
    meta_add_json(&m, meta_json, "");
    meta_add(&m, "fakeit.version", FAKEIT_VERSION);
    meta_add(&m, "fakeit.kind", critic ? "critic" : "generator");
    meta_add(&m, "fakeit.source", file);
    if (gen_is_run(model)) {  // the run's state: iteration, data set, timings
        char *state = runstate_metadata(model);
        cJSON *o = state ? cJSON_Parse(state) : NULL;
        static const char *const keys[] = {"gen_iter", "epoch", "images", "data", "data_count", "seconds", "backend"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
            if (cJSON_IsString(it)) {
                snprintf(v, sizeof v, "fakeit.run.%s", keys[i]);
                meta_add(&m, v, it->valuestring);
            }
        }
        cJSON_Delete(o);
        free(state);
    }
    snprintf(v, sizeof v, "%d", cfg.batch);
    meta_add(&m, "fakeit.batch", v);
    const int bn = critic ? cfg.critic_norm == DCGAN_NORM_BATCH : cfg.bn_g;
    snprintf(v, sizeof v,
             bn ? "training mode: each batch norm uses the statistics of the batch it is given, as fakeit samples "
                  "(and the original WGAN code); feed batches of %d (the training batch) to get fakeit's images"
                : "none (batch %d in training)",
             cfg.batch);
    meta_add(&m, "fakeit.batch_norm", v);
    if (critic) {
        snprintf(v, sizeof v, "image (N, %d, %d, %d) in [-1, 1]", cfg.nc, cfg.isize, cfg.isize);
        meta_add(&m, "fakeit.input", v);
        meta_add(&m, "fakeit.output", "score (N, 1, 1, 1): lower is rated more real");
    } else {
        snprintf(v, sizeof v, "noise (N, %d, 1, 1), standard normal", cfg.nz);
        meta_add(&m, "fakeit.input", v);
        snprintf(v, sizeof v, "image (N, %d, %d, %d) in [-1, 1]: bytes as round(v * 127.5 + 127.5)", cfg.nc,
                 cfg.isize, cfg.isize);
        meta_add(&m, "fakeit.output", v);
    }
    const OnnxModel om = {
        .graph = critic ? "fakeit_critic" : "fakeit_generator",
        .input = critic ? "image" : "noise",
        .output = critic ? "score" : "image",
        .doc = critic ? "fakeit WGAN critic (DCGAN)" : "fakeit WGAN generator (DCGAN)",
        .meta = (const char *const *)m.kv, .n_meta = m.n,
    };
    const int rc = onnx_save(out, net, &om) ? 1 : 0;
    if (!rc)
        printf("wrote %s: %s of %dx%dx%d images, %s batch norm%s\n", out, critic ? "critic" : "generator", cfg.nc,
               cfg.isize, cfg.isize, bn ? "training-mode" : "no", bn ? " (feed batches as in training)" : "");
    meta_free(&m);
    net_free(net);
    return rc;
}

int export_onnx(const char *model, ExportKind kind, const char *out) {
    char file[4200];
    gen_model_path(model, kind == EXPORT_CRITIC, file, sizeof file);
    char *meta = file_metadata(file);
    if (!meta) return 1;
    if (kind == EXPORT_CRITIC && !gen_is_run(model) && meta_is(meta, "role", "generator")) {
        char *beside = gen_critic_beside(model);  // a generator file: its critic beside it
        snprintf(file, sizeof file, "%s", beside);
        free(beside), free(meta);
        if (!(meta = file_metadata(file))) return 1;
    }
    int rc;
    if (meta_is(meta, "format", "fakeit-sr") && kind == EXPORT_CRITIC) {
        fk_error("%s: an upscaler has no critic (--critic is for a GAN run or its netG / netD file)", file);
        rc = 2;
    } else if (meta_is(meta, "format", "fakeit-sr"))
        rc = export_sr(file, meta, out);
    else if (meta_is(meta, "format", "fakeit 1") && !meta_is(meta, "role", "state"))
        rc = export_gan(model, file, meta, kind == EXPORT_CRITIC || meta_is(meta, "role", "critic"), out);
    else {
        fk_error("%s: not a model fakeit wrote (no \"format\" of a generator, critic or upscaler in its metadata)", file);
        rc = 2;
    }
    free(meta);
    return rc;
}
