// test_api.c: the public C API (include/fakeit.h) against the library's own
// functions: prepare a folder, train with a progress callback, a stop flag
// and a callback that stops, resume, sample (bytes equal to what fakeit
// sample draws), upscale (equal to upscaler_run), and errors as codes with
// messages.

#define _GNU_SOURCE  // memmem
#include <fakeit.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/bikes.h"
#include "gan/generator.h"
#include "sr/upscale.h"
#include "testlib.h"

typedef struct {
    long calls, last_iter;
    int rising;         // iterations came 1, 2, 3, ... from the first one seen
    long stop_after;    // return non-zero at this call (0: never)
    volatile int *flag; // set it at call flag_at
    long flag_at;
    double last_w;
} Seen;

static int progress(const fk_progress *p, void *user) {
    Seen *s = user;
    if (s->calls && p->iteration != s->last_iter + 1) s->rising = 0;
    s->calls++, s->last_iter = p->iteration, s->last_w = p->wasserstein;
    if (s->flag && s->calls == s->flag_at) *s->flag = 1;
    return s->stop_after && s->calls == s->stop_after;
}

static long state_iter(const char *run) {
    char path[512], *meta;
    snprintf(path, sizeof path, "%s/state.safetensors", run);
    size_t n;
    unsigned char *b = tl_slurp(path, &n);
    if (!b) return -1;
    meta = n > 8 ? memmem(b + 8, n - 8, "\"gen_iter\":\"", 12) : NULL;  // in the JSON header after its length
    const long it = meta ? atol(meta + 12) : -1;
    free(b);
    return it;
}

int main(void) {
    char tmp[] = "/tmp/fakeit-api-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    char bikes[600], data[600], run[600], cmd[1400];
    snprintf(bikes, sizeof bikes, "%s/bikes", tmp);
    snprintf(data, sizeof data, "%s/d.fkd", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    fk_set_quiet(1);
    tl_check(!strcmp(fk_version(), FAKEIT_VERSION), "fk_version %s = the header's %s", fk_version(), FAKEIT_VERSION);
    tl_check(bikes_write(bikes, 24, 64, 3) == 0, "24 bikes drawn");

    // prepare, with the command's options and checks
    const char *in[1] = {bikes};
    int kept = -1;
    fk_status st = fk_prepare(in, 1, data, (const char *const[]){"--size", "32", "--background", "any", NULL}, &kept);
    tl_check(st == FK_OK && kept == 24, "fk_prepare keeps all 24 (status %s, kept %d)", fk_status_name(st), kept);
    st = fk_prepare(in, 1, data, (const char *const[]){"--size", "7", NULL}, NULL);
    tl_check(st == FK_ERR_ARGUMENT && strstr(fk_last_error(), "--size"), "a bad option is FK_ERR_ARGUMENT naming it: %s",
             fk_last_error());

    // train: the callback sees every iteration; the stop flag stops and saves
    const char *const small[] = {"--ngf", "8", "--ndf", "8", "--nz", "8", "--batch", "8", "--threads", "1",
                                 "--d-iters-early", "2", "--iters", "30", "--sample-every", "10", NULL};
    volatile int stop = 0;
    Seen s = {.rising = 1, .flag = &stop, .flag_at = 12};
    st = fk_train(data, run, small, progress, &s, &stop);
    tl_check(st == FK_STOPPED, "the stop flag stops the run: %s", fk_status_name(st));
    tl_check(s.calls == 12 && s.rising && s.last_iter == 12, "the callback saw iterations 1..12 (%ld calls, last %ld)",
             s.calls, s.last_iter);
    tl_check(state_iter(run) == 12, "the stopped run is saved at iteration 12 (%ld)", state_iter(run));
    // a callback that returns non-zero stops it too; then resume to the end
    Seen s2 = {.rising = 1, .stop_after = 5};
    st = fk_train(NULL, run, NULL, progress, &s2, NULL);
    tl_check(st == FK_STOPPED && s2.calls == 5 && state_iter(run) == 17,
             "a callback returning non-zero stops the resumed run at 17 (%s, %ld calls, saved at %ld)",
             fk_status_name(st), s2.calls, state_iter(run));
    Seen s3 = {.rising = 1};
    st = fk_train(NULL, run, NULL, progress, &s3, NULL);
    tl_check(st == FK_OK && s3.last_iter == 30 && s3.rising && state_iter(run) == 30,
             "resumed, the run reaches 30 (%s, last %ld)", fk_status_name(st), s3.last_iter);
    snprintf(cmd, sizeof cmd, "%s/report.html", run);
    tl_check(access(cmd, R_OK) == 0, "the run has its report.html");
    st = fk_train(data, run, small, NULL, NULL, NULL);
    tl_check(st == FK_ERR_ARGUMENT && strstr(fk_last_error(), "already holds a run"),
             "a folder holding a run is refused: %s", fk_last_error());
    st = fk_train(data, tmp, (const char *const[]){"--iters", "0", NULL}, NULL, NULL, NULL);
    tl_check(st == FK_ERR_ARGUMENT, "a bad train option is FK_ERR_ARGUMENT: %s", fk_last_error());

    // sample: the same bytes as the library draws for fakeit sample, interleaved
    fk_generator *g = NULL;
    st = fk_generator_open(&g, run, "ref", 1);
    tl_check(st == FK_OK && g, "fk_generator_open on the run folder");
    if (g) {
        fk_generator_info info;
        fk_generator_info_get(g, &info);
        tl_check(info.size == 32 && info.channels == 3 && info.noise == 8 && info.batch == 8,
                 "info: %dx%d, %d channels, noise %d, batch %d", info.size, info.size, info.channels, info.noise,
                 info.batch);
        const int n = 11;
        const size_t img = 3 * 32 * 32;
        uint8_t *a = malloc(n * img), *planar = malloc(n * img);
        tl_check(fk_generator_sample(g, 5, n, a) == FK_OK, "fk_generator_sample draws 11");
        const Backend *be = backend_find("ref");
        WganConfig cfg;
        Net *G = gen_load(be, run, 0, &cfg);
        gen_fakes_bytes(planar, be, G, &cfg, n, 5);
        int same = 1;
        for (int i = 0; i < n; i++)
            for (int p = 0; p < 32 * 32; p++)
                for (int c = 0; c < 3; c++) same &= a[i * img + p * 3 + c] == planar[i * img + c * 1024 + p];
        tl_check(same, "its bytes are fakeit sample's, interleaved");
        float *f = malloc(n * img * sizeof(float)), *ref = malloc(n * img * sizeof(float));
        fk_generator_sample_float(g, 5, n, f);
        gen_fakes(be, G, &cfg, n, 5, ref, NULL, NULL);
        tl_check(!memcmp(f, ref, n * img * sizeof(float)), "fk_generator_sample_float gives the same floats");
        net_free(G);
        free(a), free(planar), free(f), free(ref);
        fk_generator_close(g);
    }
    snprintf(cmd, sizeof cmd, "%s/none.safetensors", tmp);
    st = fk_generator_open(&g, cmd, NULL, 0);
    tl_check(st == FK_ERR_FILE && !g && strstr(fk_last_error(), "none.safetensors"),
             "a missing model is FK_ERR_FILE naming it: %s", fk_last_error());
    st = fk_generator_open(&g, run, "nosuch", 0);
    tl_check(st == FK_ERR_BACKEND, "an unknown backend is FK_ERR_BACKEND: %s", fk_last_error());

    // upscale: the shipped model (FAKEIT_SR_MODEL in the test run) and bicubic, against the library
    fk_upscaler *u = NULL;
    const char *model = getenv("FAKEIT_SR_MODEL");
    st = fk_upscaler_open(&u, model, 0, "ref", 1);
    tl_check(st == FK_OK && fk_upscaler_scale(u) == 4, "fk_upscaler_open: the default model, x4 (%s)", fk_last_error());
    if (u) {
        const int w = 37, h = 23;
        uint8_t *rgb = malloc(w * h * 3), *out = malloc(w * h * 48), *ref = malloc(w * h * 48);
        for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)(i * 7 + (i / 3) % 11 * 13);
        tl_check(fk_upscale(u, rgb, w, h, out) == FK_OK, "fk_upscale 37x23");
        Upscaler ur;
        upscaler_open(&ur, backend_find("ref"), model, 0);
        upscaler_run(&ur, rgb, w, h, 64, ref);
        upscaler_close(&ur);
        tl_check(!memcmp(out, ref, w * h * 48), "its bytes are fakeit upscale's");
        tl_check(fk_upscale(u, rgb, 0, h, out) == FK_ERR_ARGUMENT, "a zero width is FK_ERR_ARGUMENT");
        free(rgb), free(out), free(ref);
        fk_upscaler_close(u);
    }
    st = fk_upscaler_open(&u, "bicubic", 3, NULL, 0);
    tl_check(st == FK_ERR_ARGUMENT, "bicubic x3 is refused: %s", fk_last_error());
    fk_generator_close(NULL), fk_upscaler_close(NULL);  // closing nothing is fine

    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) return 1;
    return tl_summary();
}
