// train.c: a training run, from data set to run folder.
#include "train.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "checkpoint.h"
#include "grid.h"
#include "util.h"

void train_defaults(TrainOpts *o) {
    memset(o, 0, sizeof *o);
    wgan_defaults(&o->cfg);
    o->epochs = 25;
    o->sample_every = 500;
    o->save_every = 500;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
    stop_signal = sig;
    signal(sig, SIG_DFL);  // a second Ctrl-C stops at once
}

static void hms(double s, char *out, size_t n) {
    long t = s < 0 || s > 1e9 ? 0 : (long)(s + 0.5);
    snprintf(out, n, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

// ---------------------------------------------------------------------------
// metrics: one row per generator iteration in metrics.csv, kept in memory
// for the chart

typedef struct {
    double *x, *w, *g;
    int n, cap;
} Series;

static void series_push(Series *s, double x, double w, double g) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->x = realloc(s->x, (size_t)s->cap * sizeof(double));
        s->w = realloc(s->w, (size_t)s->cap * sizeof(double));
        s->g = realloc(s->g, (size_t)s->cap * sizeof(double));
        FK_CHECK(s->x && s->w && s->g, "out of memory");
    }
    s->x[s->n] = x, s->w[s->n] = w, s->g[s->n] = g;
    s->n++;
}

static const char metrics_header[] =
    "gen_iter,epoch,images,d_iters,loss_d,loss_d_real,loss_d_fake,loss_g,wasserstein,seconds,images_per_s,loss_gp\n";

// Opens metrics.csv for appending. On resume keeps only the rows up to the
// resumed iteration (a run stopped between a log line and its checkpoint
// would otherwise repeat them) and reloads them into s.
static FILE *open_metrics(const char *path, long upto, int resume, Series *s) {
    if (resume) {
        FILE *in = fopen(path, "r");
        char *kept = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&kept, &len);
        if (in && mem) {
            char line[1024];
            fputs(metrics_header, mem);
            if (fgets(line, sizeof line, in))
                while (fgets(line, sizeof line, in)) {
                    long it;
                    double lg, wd;
                    if (sscanf(line, "%ld,%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%lf,%lf", &it, &lg, &wd) == 3 &&
                        it <= upto) {
                        fputs(line, mem);
                        series_push(s, (double)it, wd, lg);
                    }
                }
        }
        if (in) fclose(in);
        if (mem) fclose(mem);
        FILE *out = fopen(path, "w");
        if (out && kept) fputs(kept, out);
        free(kept);
        if (out) return out;
    } else {
        FILE *out = fopen(path, "w");
        if (out && fputs(metrics_header, out) >= 0) return out;
        if (out) fclose(out);
    }
    fk_error("%s: cannot write: %s", path, strerror(errno));
    return NULL;
}

// ---------------------------------------------------------------------------

// The fixed noise through the generator (in training mode, as the original
// samples), saved as a grid.
static int save_fakes(Wgan *w, const float *fixed_dev, int n_fixed, const char *path) {
    const WganConfig *c = &w->cfg;
    const size_t nimg = (size_t)n_fixed * c->nc * c->isize * c->isize;
    float *host = fk_malloc(nimg * sizeof(float));
    w->be->download(host, net_forward(w->G, fixed_dev, n_fixed), nimg);
    int rc = grid_save(path, host, n_fixed, c->nc, c->isize, c->isize, 8);
    free(host);
    return rc;
}

static int save_reals(const Dataset *ds, int n, const char *path) {
    const size_t img = ds_image_bytes(ds);
    n = (uint32_t)n < ds->count ? n : (int)ds->count;
    float *x = fk_malloc((size_t)n * img * sizeof(float));
    wgan_pixels_to_float(x, ds->pixels, (size_t)n * img);
    int rc = grid_save(path, x, n, (int)ds->channels, (int)ds->size, (int)ds->size, 8);
    free(x);
    return rc;
}

static const char *meta_str(const cJSON *m, const char *key) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, key);
    return cJSON_IsString(e) ? e->valuestring : NULL;
}

int train_run(const TrainOpts *o) {
    const Backend *be = o->backend ? backend_find(o->backend) : backend_default();
    if (!be) {
        fk_error("no backend called '%s' in this build (fakeit backends lists them)", o->backend);
        return 2;
    }
    if (o->threads > 0) be->set_threads(o->threads);
    WganConfig cfg = o->cfg;
    long iters = o->iters, epochs = o->epochs;
    char data[PATH_MAX];
    cJSON *meta = NULL;
    if (o->resume) {
        char *m = ckpt_run_metadata(o->run_dir);
        if (!m) {
            fk_error("%s: nothing to resume here (no readable state.safetensors)", o->run_dir);
            return 2;
        }
        char *spath = fk_join(o->run_dir, "state.safetensors");
        int bad = wgan_config_parse(m, &cfg, spath);
        free(spath);
        meta = cJSON_Parse(m);
        free(m);
        if (bad) {
            cJSON_Delete(meta);
            return 1;
        }
        const char *d = meta_str(meta, "data"), *ti = meta_str(meta, "target_iters"), *te = meta_str(meta, "target_epochs");
        snprintf(data, sizeof data, "%s", o->data ? o->data : d ? d : "");
        if (!o->iters_set && !o->epochs_set && ti && te) iters = atol(ti), epochs = atol(te);
        if (o->iters_set) epochs = 0;
        if (o->epochs_set) iters = 0;
        cJSON_Delete(meta);
    } else {
        snprintf(data, sizeof data, "%s", o->data);
        if (mkdir(o->run_dir, 0777) != 0 && errno != EEXIST) {
            fk_error("%s: cannot create the run folder: %s", o->run_dir, strerror(errno));
            return 2;
        }
        char *spath = fk_join(o->run_dir, "state.safetensors");
        struct stat st;
        int exists = stat(spath, &st) == 0;
        free(spath);
        if (exists) {
            fk_error("%s: already holds a run; continue it with --resume %s, or choose another folder",
                     o->run_dir, o->run_dir);
            return 2;
        }
    }
    Dataset ds;
    if (ds_open(&ds, data) != 0) return 2;
    if (!o->resume) cfg.isize = (int)ds.size, cfg.nc = (int)ds.channels;
    if (ds.count == 0) {
        fk_error("%s: the data set is empty", data);
        ds_close(&ds);
        return 2;
    }
    Wgan w;
    if (wgan_init(&w, &cfg, be, &ds) != 0) {
        ds_close(&ds);
        return 2;
    }
    const int n_fixed = cfg.batch < 64 ? cfg.batch : 64;
    float *fixed = fk_malloc((size_t)n_fixed * cfg.nz * sizeof(float));
    float *fixed_dev = be->alloc((size_t)n_fixed * cfg.nz);
    int rc = 0;
    if (o->resume) {
        if (ckpt_load_run(o->run_dir, &w, fixed, n_fixed) != 0) rc = 1;
    } else {
        wgan_noise(&w, fixed, n_fixed);
    }
    be->upload(fixed_dev, fixed, (size_t)n_fixed * cfg.nz);
    char abs_data[PATH_MAX];
    if (!realpath(data, abs_data)) snprintf(abs_data, sizeof abs_data, "%s", data);
    char extra[PATH_MAX + 200];
    {
        cJSON *e = cJSON_CreateObject();
        char v[32];
        cJSON_AddStringToObject(e, "data", abs_data);
        snprintf(v, sizeof v, "%ld", iters), cJSON_AddStringToObject(e, "target_iters", v);
        snprintf(v, sizeof v, "%ld", epochs), cJSON_AddStringToObject(e, "target_epochs", v);
        char *s = cJSON_PrintUnformatted(e);
        snprintf(extra, sizeof extra, "%s", s);
        free(s);
        cJSON_Delete(e);
    }
    char *mpath = fk_join(o->run_dir, "metrics.csv"), *cpath = fk_join(o->run_dir, "loss.png");
    Series series = {0};
    FILE *metrics = rc ? NULL : open_metrics(mpath, w.gen_iter, o->resume, &series);
    if (!rc && !metrics) rc = 1;
    if (!rc && !o->resume) {
        char *rpath = fk_join(o->run_dir, "real_samples.png");
        rc = save_reals(&ds, 64, rpath) ? 1 : 0;
        free(rpath);
    }
    if (rc) goto done;

    printf("fakeit train: %s (%u images, %dx%d, %d channels) -> %s\n", data, ds.count, cfg.isize, cfg.isize, cfg.nc,
           o->run_dir);
    static const char *norms[] = {"batch", "layer", "no"};
    char how[96];
    if (cfg.loss == WGAN_LOSS_GP)
        snprintf(how, sizeof how, "WGAN-GP lambda %g, %s norm in the critic", cfg.gp_lambda, norms[cfg.critic_norm]);
    else
        snprintf(how, sizeof how, "clip %g", cfg.clip);
    printf("  G %zu parameters, D %zu; batch %d, %s lr G %g D %g", w.G->n_params, w.D->n_params, cfg.batch,
           cfg.adam ? "Adam" : "RMSprop", cfg.lr_g, cfg.lr_d);
    if (cfg.adam) printf(" betas (%g, %g)", cfg.beta1, cfg.beta2);
    printf(", %s, %d critic steps (%d early); backend %s, %d threads\n", how, cfg.d_iters, cfg.d_iters_warm,
           be->name, be->get_threads());
    if (o->resume) printf("  resuming at generator iteration %ld, epoch %ld\n", w.gen_iter, w.epoch);
    fflush(stdout);
    stop_signal = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const int tty = isatty(STDERR_FILENO);
    const double t0 = fk_seconds();
    const long start_iter = w.gen_iter, start_images = w.images;
    long critic_steps = 0;
    int sampled_now = 0, timed_out = 0;
    for (;;) {
        if (iters > 0 ? w.gen_iter >= iters : w.epoch >= epochs && w.pos >= (long)ds.count) break;
        if (stop_signal) break;
        if (o->time_limit > 0 && fk_seconds() - t0 >= o->time_limit) {
            timed_out = 1;
            break;
        }
        wgan_iteration(&w);
        critic_steps += w.last_d_iters;
        const double el = fk_seconds() - t0, ips = (w.images - start_images) / (el > 0 ? el : 1);
        const double wd = (double)w.loss_d_fake - w.loss_d_real;  // the Wasserstein estimate, penalty aside
        fprintf(metrics, "%ld,%ld,%ld,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f,%.1f,%.9g\n", w.gen_iter, w.epoch, w.images,
                w.last_d_iters, w.loss_d, w.loss_d_real, w.loss_d_fake, w.loss_g, wd, el, ips, w.loss_gp);
        fflush(metrics);
        series_push(&series, (double)w.gen_iter, wd, w.loss_g);
        // ETA: remaining critic steps at the measured cost of one
        double eta;
        if (iters > 0) {
            long rest = 0;
            // an epoch's end also ends the critic steps of an iteration
            const long per_epoch = (ds.count + cfg.batch - 1) / cfg.batch;
            for (long k = w.gen_iter; k < iters; k++) {
                const long d = wgan_diters_at(&cfg, k);
                rest += d < per_epoch ? d : per_epoch;
            }
            eta = critic_steps ? el / critic_steps * rest : 0;
        } else {
            const double rest_images = (double)(epochs - w.epoch) * ds.count + (double)(ds.count - w.pos);
            eta = ips > 0 ? rest_images / ips : 0;
        }
        if (o->time_limit > 0 && eta > o->time_limit - el) eta = o->time_limit - el;
        char e1[40], e2[40];
        hms(el, e1, sizeof e1), hms(eta, e2, sizeof e2);
        if (tty || w.gen_iter % 10 == 0 || w.gen_iter == start_iter + 1)
            fprintf(stderr, "%s[%ld%s%ld] epoch %ld  W %.5f  Loss_G %.5f  %.1f img/s  %s  ETA %s%s", tty ? "\r" : "",
                    w.gen_iter, iters > 0 ? "/" : " gen iters, epochs ", iters > 0 ? iters : epochs, w.epoch, wd,
                    w.loss_g, ips, e1, e2, tty ? "   " : "\n");
        sampled_now = 0;
        if (w.gen_iter % o->sample_every == 0) {
            char name[64];
            snprintf(name, sizeof name, "fake_samples_%06ld.png", w.gen_iter);
            char *gpath = fk_join(o->run_dir, name);
            if (save_fakes(&w, fixed_dev, n_fixed, gpath) || chart_save(cpath, series.x, series.w, series.g, series.n)) rc = 1;
            free(gpath);
            sampled_now = 1;
        }
        if (!rc && w.gen_iter % o->save_every == 0 && ckpt_save_run(o->run_dir, &w, fixed, n_fixed, extra)) rc = 1;
        if (rc) break;
    }
    if (tty) fputc('\n', stderr);
    // the final checkpoint first: the last grid's forward pass must not be in it
    if (!rc && ckpt_save_run(o->run_dir, &w, fixed, n_fixed, extra)) rc = 1;
    if (!rc && !sampled_now && w.gen_iter > start_iter) {
        char name[64];
        snprintf(name, sizeof name, "fake_samples_%06ld.png", w.gen_iter);
        char *gpath = fk_join(o->run_dir, name);
        if (save_fakes(&w, fixed_dev, n_fixed, gpath) || chart_save(cpath, series.x, series.w, series.g, series.n)) rc = 1;
        free(gpath);
    }
    if (!rc) {
        const double el = fk_seconds() - t0;
        printf("%s at generator iteration %ld (epoch %ld) after %.1f s: %.2f s per generator iteration\n",
               stop_signal ? "stopped by signal" : timed_out ? "time limit reached" : "done", w.gen_iter, w.epoch, el,
               w.gen_iter > start_iter ? el / (w.gen_iter - start_iter) : 0.0);
        printf("  models   %s/netG.safetensors %s/netD.safetensors\n", o->run_dir, o->run_dir);
        printf("  samples  %s/fake_samples_%06ld.png, chart %s, metrics %s\n", o->run_dir, w.gen_iter, cpath, mpath);
        if (stop_signal || timed_out) printf("  continue with: fakeit train --resume %s\n", o->run_dir);
        if (stop_signal) rc = 128 + stop_signal;
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
done:
    if (metrics) fclose(metrics);
    free(series.x), free(series.w), free(series.g);
    free(mpath), free(cpath), free(fixed);
    be->free(fixed_dev);
    wgan_free(&w);
    ds_close(&ds);
    return rc;
}
