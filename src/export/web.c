// web.c: the browser sampler, `fakeit export MODEL --web DIR`: the page
// (sampler.html and sampler.js, compiled in), the models as ONNX, their
// sizes in model.json, and ONNX Runtime Web's files, which `make web` puts in
// build/web from the npm registry (make install: share/fakeit/web).
#include "export/export.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/generator.h"
#include "gan/runstate.h"
#include "nn/safetensors.h"
#include "nn/srnet.h"
#include "util/files.h"
#include "util/util.h"
#include "util/version.h"

FK_EMBED(sampler_html, "src/export/sampler.html");
FK_EMBED(sampler_js, "src/export/sampler.js");

// ONNX Runtime Web: the script, its WebAssembly module and that module's loader
static const char *const runtime_files[] = {"ort.wasm.min.js", "ort-wasm-simd-threaded.mjs",
                                            "ort-wasm-simd-threaded.wasm"};

static int copy_runtime(const char *dir) {
    for (size_t i = 0; i < sizeof runtime_files / sizeof *runtime_files; i++) {
        char name[256], src[4200];
        snprintf(name, sizeof name, "web/%s", runtime_files[i]);
        if (!fk_data_file(name, NULL, src, sizeof src)) {
            fk_error("ONNX Runtime Web's %s is not in this build: run `make web` in fakeit's source tree (it copies "
                     "onnxruntime-web from the npm registry into build/web), or install fakeit with make install after it",
                     runtime_files[i]);
            return 2;
        }
        char *data, *dst = fk_join(dir, runtime_files[i]);
        size_t n;
        int rc = fk_read_file(src, &data, &n);
        if (!rc) rc = fk_write_file(dst, data, n), free(data);
        free(dst);
        if (rc) return 1;
    }
    return 0;
}

// model.json: what the page needs to feed the generator and label it.
static int write_model_json(const char *model, const char *sr_model, const char *dir) {
    const Backend *be = backend_find("ref");
    WganConfig cfg;
    char file[4200];
    gen_model_path(model, 0, file, sizeof file);
    if (wgan_config_read(file, &cfg) != 0) return 1;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "nz", cfg.nz);
    cJSON_AddNumberToObject(j, "isize", cfg.isize);
    cJSON_AddNumberToObject(j, "nc", cfg.nc);
    cJSON_AddNumberToObject(j, "batch", cfg.batch);
    cJSON_AddStringToObject(j, "source", model);
    cJSON_AddStringToObject(j, "version", FAKEIT_VERSION);
    if (gen_is_run(model)) {
        char *meta = runstate_metadata(model);
        cJSON *m = meta ? cJSON_Parse(meta) : NULL;
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, "gen_iter");
        if (cJSON_IsString(it)) cJSON_AddNumberToObject(j, "iteration", atof(it->valuestring));
        cJSON_Delete(m), free(meta);
    }
    cJSON_AddBoolToObject(j, "upscaler", sr_model != NULL);
    if (sr_model) {
        SrConfig c;
        Net *net = sr_load(be, sr_model, &c, 16, 16);
        if (!net) {
            cJSON_Delete(j);
            return 1;
        }
        net_free(net);
        cJSON_AddNumberToObject(j, "scale", c.scale);
    }
    char *txt = cJSON_Print(j), *path = fk_join(dir, "model.json");
    const int rc = fk_write_file(path, txt, strlen(txt)) ? 1 : 0;
    free(txt), free(path);
    cJSON_Delete(j);
    return rc;
}

int export_web(const char *model, const char *sr_model, const char *dir) {
    if (fk_mkdirs(dir) != 0) return 2;
    int rc = copy_runtime(dir);
    char *g = fk_join(dir, "generator.onnx"), *u = fk_join(dir, "upscaler.onnx");
    char *html = fk_join(dir, "index.html"), *js = fk_join(dir, "sampler.js");
    if (!rc) rc = export_onnx(model, EXPORT_GENERATOR, g);
    if (!rc && sr_model) rc = export_onnx(sr_model, EXPORT_SR, u);
    if (!rc) rc = write_model_json(model, sr_model, dir);
    if (!rc && (fk_write_file(html, sampler_html, strlen(sampler_html)) || fk_write_file(js, sampler_js, strlen(sampler_js))))
        rc = 1;
    if (!rc)
        printf("wrote the browser sampler to %s: serve the folder and open it, e.g.\n"
               "  python3 -m http.server -d %s 8000   then http://localhost:8000/\n", dir, dir);
    free(g), free(u), free(html), free(js);
    return rc;
}
