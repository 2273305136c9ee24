// api.c: the public C API (include/fakeit.h). It sits beside the commands,
// as a second front end over the same library: training and preparing run
// the commands' own option tables and checks (cmd_train, cmd_prepare), so
// every option, range and message is the program's.
#include <fakeit.h>

#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "cli/commands.h"
#include "data/prepare.h"
#include "gan/generator.h"
#include "image/imageio.h"
#include "sr/upscale.h"
#include "train/train.h"
#include "util/files.h"
#include "util/util.h"

const char *fk_version(void) { return FAKEIT_VERSION; }
const char *fk_last_error(void) { return fk_errors(); }
void fk_set_quiet(int quiet) { fk_error_quiet(quiet); }

const char *fk_status_name(fk_status s) {
    static const char *const names[] = {"FK_OK",          "FK_ERR_ARGUMENT", "FK_ERR_FILE", "FK_ERR_WRITE",
                                        "FK_ERR_BACKEND", "FK_ERR_BUSY",     "FK_ERR_DIVERGED", "FK_STOPPED"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown status";
}

static fk_status argument(const char *what) {
    fk_error("%s", what);
    return FK_ERR_ARGUMENT;
}

// ---------------------------------------------------------------------------
// generators

struct fk_generator {
    const Backend *be;
    Net *G;
    WganConfig cfg;
};

fk_status fk_generator_open(fk_generator **g, const char *model, const char *backend, int threads) {
    fk_error_clear();
    if (!g || !model) return argument("fk_generator_open: g and model must not be NULL");
    *g = NULL;
    if (threads < 0) return argument("fk_generator_open: threads must be 0 (all cores) or more");
    const Backend *be = backend_pick(backend, threads, NULL);
    if (!be) return FK_ERR_BACKEND;
    fk_generator *h = fk_calloc(1, sizeof *h);
    h->be = be;
    if (!(h->G = gen_load(be, model, 0, &h->cfg))) {
        free(h);
        return FK_ERR_FILE;
    }
    *g = h;
    return FK_OK;
}

void fk_generator_info_get(const fk_generator *g, fk_generator_info *info) {
    *info = (fk_generator_info){g->cfg.isize, g->cfg.nc, g->cfg.nz, g->cfg.batch};
}

fk_status fk_generator_sample_float(fk_generator *g, uint64_t seed, int n, float *images) {
    fk_error_clear();
    if (!g || !images || n < 1) return argument("fk_generator_sample: g and images must be given, n >= 1");
    gen_fakes(g->be, g->G, &g->cfg, n, seed, images, NULL, NULL);
    return FK_OK;
}

fk_status fk_generator_sample(fk_generator *g, uint64_t seed, int n, uint8_t *pixels) {
    fk_error_clear();
    if (!g || !pixels || n < 1) return argument("fk_generator_sample: g and pixels must be given, n >= 1");
    const int C = g->cfg.nc;
    const size_t plane = (size_t)g->cfg.isize * g->cfg.isize, img = C * plane;
    uint8_t *planar = fk_malloc((size_t)n * img);
    gen_fakes_bytes(planar, g->be, g->G, &g->cfg, n, seed);
    for (int i = 0; i < n; i++)  // planar (C, S, S) -> interleaved (S, S, C)
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < C; c++) pixels[i * img + p * C + c] = planar[i * img + c * plane + p];
    free(planar);
    return FK_OK;
}

void fk_generator_close(fk_generator *g) {
    if (!g) return;
    net_free(g->G);
    free(g);
}

// ---------------------------------------------------------------------------
// upscalers

struct fk_upscaler {
    Upscaler u;
};

fk_status fk_upscaler_open(fk_upscaler **u, const char *model, int scale, const char *backend, int threads) {
    fk_error_clear();
    if (!u) return argument("fk_upscaler_open: u must not be NULL");
    *u = NULL;
    if (threads < 0 || scale < 0) return argument("fk_upscaler_open: threads and scale must be 0 or more");
    if (model && !strcmp(model, "bicubic") && scale && scale != 2 && scale != 4)
        return argument("fk_upscaler_open: bicubic upscales x2 or x4");
    const Backend *be = backend_pick(backend, threads, NULL);
    if (!be) return FK_ERR_BACKEND;
    fk_upscaler *h = fk_calloc(1, sizeof *h);
    if (upscaler_open(&h->u, be, model, scale) != 0) {
        free(h);
        return FK_ERR_FILE;
    }
    *u = h;
    return FK_OK;
}

int fk_upscaler_scale(const fk_upscaler *u) { return u->u.cfg.scale; }

fk_status fk_upscale(fk_upscaler *u, const uint8_t *rgb, int width, int height, uint8_t *out) {
    fk_error_clear();
    if (!u || !rgb || !out || width < 1 || height < 1) return argument("fk_upscale: give the upscaler, both buffers and a size");
    return upscaler_run(&u->u, rgb, width, height, 64, out) ? FK_ERR_ARGUMENT : FK_OK;
}

void fk_upscaler_close(fk_upscaler *u) {
    if (!u) return;
    upscaler_close(&u->u);
    free(u);
}

// ---------------------------------------------------------------------------
// prepare and train, through the commands' option tables

// argv for opts_parse: the command's name, `head` (n_head words), then options.
static char **make_argv(const char *name, const char *const *head, int n_head, const char *const *options, int *argc) {
    int n = 0;
    while (options && options[n]) n++;
    char **argv = fk_calloc((size_t)(1 + n_head + n + 1), sizeof *argv);
    argv[0] = (char *)name;
    for (int i = 0; i < n_head; i++) argv[1 + i] = (char *)head[i];
    for (int i = 0; i < n; i++) argv[1 + n_head + i] = (char *)options[i];
    *argc = 1 + n_head + n;
    return argv;
}

fk_status fk_prepare(const char *const *inputs, int n, const char *out, const char *const *options, int *kept) {
    fk_error_clear();
    if (!inputs || n < 1 || !out) return argument("fk_prepare: give at least one input and the output");
    const char **head = fk_calloc((size_t)n + 2, sizeof *head);
    head[0] = "-o", head[1] = out;
    for (int i = 0; i < n; i++) head[2 + i] = inputs[i];
    int argc;
    char **argv = make_argv("prepare", head, n + 2, options, &argc);
    PrepareOpts o;
    OptParse p;
    int rc = opts_parse(&cmd_prepare, argc, argv, &o, &p);
    fk_status st = FK_ERR_ARGUMENT;
    if (rc == OPTS_OK) {
        PrepareResult res = {0};
        o.quiet = o.quiet || fk_error_quiet_get();
        rc = prepare_run(&o, p.pos, p.n_pos, &res);
        if (kept) *kept = res.counts[PR_KEPT];
        prepare_result_free(&res);
        st = rc == 0 ? FK_OK : rc == 2 ? FK_ERR_ARGUMENT : FK_ERR_WRITE;
    }
    free(argv), free(head);  // p.pos points into argv
    return st;
}

// the progress callback's adapter: TrainProgress -> fk_progress
typedef struct {
    fk_progress_fn fn;
    void *user;
} Hook;

static int on_progress(const TrainProgress *t, void *user) {
    const Hook *h = user;
    const fk_progress p = {t->iteration, t->target, t->epoch, t->wasserstein, t->loss_g, t->seconds, t->images_per_s};
    return h->fn(&p, h->user);
}

fk_status fk_train(const char *data, const char *run_dir, const char *const *options, fk_progress_fn progress,
                   void *user, volatile int *stop) {
    fk_error_clear();
    if (!run_dir) return argument("fk_train: give the run folder");
    // a new run: DATA -o RUN; no data: --resume RUN
    const char *head[3] = {data ? data : "--resume", data ? "-o" : run_dir, run_dir};
    int argc;
    char **argv = make_argv("train", head, data ? 3 : 2, options, &argc);
    TrainOpts o;
    OptParse p;
    int rc = opts_parse(&cmd_train, argc, argv, &o, &p);
    Hook hook = {progress, user};
    if (rc == OPTS_OK) {
        o.progress = progress ? on_progress : NULL, o.progress_user = &hook, o.stop = stop;
        o.quiet = fk_error_quiet_get();
        rc = cmd_train.exec(&cmd_train, &o, &p);
    } else
        rc = 2;
    free(argv);  // p.pos points into argv
    switch (rc) {
    case 0: return FK_OK;
    case TRAIN_STOPPED: return FK_STOPPED;
    case TRAIN_DIVERGED: return FK_ERR_DIVERGED;
    case 2: return strstr(fk_errors(), "in use") || strstr(fk_errors(), "PID") ? FK_ERR_BUSY : FK_ERR_ARGUMENT;
    default: return rc >= 128 ? FK_STOPPED : FK_ERR_FILE;
    }
}
