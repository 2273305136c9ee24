// train.c: a training run, from data set to run folder.
#include "train/train.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "draw/chart.h"
#include "nn/checkpoint.h"
#include "eval/evaluate.h"
#include "draw/grid.h"
#include "util/util.h"

void train_defaults(TrainOpts *o) {
    memset(o, 0, sizeof *o);
    wgan_defaults(&o->cfg);
    o->epochs = 25;
    o->sample_every = 500;
    o->save_every = 500;
    o->eval_n = 1000;
    o->holdout = -1;
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
    "gen_iter,epoch,images,d_iters,loss_d,loss_d_real,loss_d_fake,loss_g,wasserstein,seconds,images_per_s,loss_gp,"
    "swd,swd_real\n";

// The 13th comma-separated field of a metrics row (swd), or NAN when empty.
static double swd_field(const char *line) {
    for (int f = 0; f < 12 && line; f++) line = strchr(line, ','), line = line ? line + 1 : NULL;
    if (!line || *line == ',' || *line == '\n' || !*line) return NAN;
    return strtod(line, NULL);
}

// Opens metrics.csv for appending. On resume keeps only the rows up to the
// resumed iteration (a run stopped between a log line and its checkpoint
// would otherwise repeat them) and reloads them into s.
static FILE *open_metrics(const char *path, long upto, int resume, Series *s, Series *q) {
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
                        const double sw = swd_field(line);
                        if (!isnan(sw)) series_push(q, (double)it, sw, 0);
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

// ---------------------------------------------------------------------------
// quality over time: SWD against held-out reals, the way `fakeit eval` measures

typedef struct {
    int every, n, C, S;
    uint8_t *ra, *fakes;  // (n, C, S, S) reals and the latest fakes
    SwdResult floor;      // reals vs other reals
    double seconds;       // spent evaluating (not counted as training time)
    float *saved;         // G's buffers, restored after each evaluation
} Evaluator;

static int eval_setup(Evaluator *ev, const uint8_t *pix, size_t count, int C, int S, int n_want, const char *what) {
    const size_t img = (size_t)C * S * S;
    ev->n = (int)(count / 2 < (size_t)n_want ? count / 2 : (size_t)n_want);
    if (ev->n < 2) {
        fk_error("%s: %zu images are too few to measure SWD against (4 or more)", what, count);
        return -1;
    }
    ev->C = C, ev->S = S;
    ev->ra = fk_malloc((size_t)ev->n * img);
    ev->fakes = fk_malloc((size_t)ev->n * img);
    eval_take(ev->ra, pix, count, img, 0, (size_t)ev->n, 1);
    eval_take(ev->fakes, pix, count, img, (size_t)ev->n, (size_t)ev->n, 1);  // the second real set, for the floor
    eval_swd(&ev->floor, ev->ra, ev->fakes, ev->n, C, S, 1);
    return 0;
}

// SWD of the generator's fakes now. G's running statistics are put back, so
// evaluating never changes the training state.
static double eval_now(Evaluator *ev, Wgan *w) {
    const double t = fk_seconds();
    Net *G = w->G;
    const long bn = G->bn_batches;
    if (!ev->saved) ev->saved = w->be->alloc(G->n_buffers ? G->n_buffers : 1);
    w->be->copy(ev->saved, G->buffers, G->n_buffers);
    eval_fakes(ev->fakes, w->be, G, &w->cfg, ev->n, 1);
    w->be->copy(G->buffers, ev->saved, G->n_buffers);
    G->bn_batches = bn;
    SwdResult r;
    eval_swd(&r, ev->ra, ev->fakes, ev->n, ev->C, ev->S, 1);
    ev->seconds += fk_seconds() - t;
    return r.avg;
}

int train_run(const TrainOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads);
    if (!be) return 2;
    WganConfig cfg = o->cfg;
    long iters = o->iters, epochs = o->epochs;
    char data[PATH_MAX], eval_data[PATH_MAX] = "";
    long holdout = o->holdout;
    int eval_every = o->eval_every, eval_n = o->eval_n;
    if (o->eval_data) snprintf(eval_data, sizeof eval_data, "%s", o->eval_data);
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
        // the held-out split is the run's; evaluation settings too unless given again
        const char *ho = meta_str(meta, "holdout"), *ee = meta_str(meta, "eval_every"), *en = meta_str(meta, "eval_n"),
                   *ed = meta_str(meta, "eval_data");
        holdout = ho ? atol(ho) : 0;
        if (!o->eval_every && ee) {
            eval_every = atoi(ee);
            if (en) eval_n = atoi(en);
            if (ed && !o->eval_data) snprintf(eval_data, sizeof eval_data, "%s", ed);
        }
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
    // the held-out part: `holdout` images chosen by the seed, never trained on;
    // tds is the training view (the rest, in file order)
    const size_t img = ds_image_bytes(&ds);
    if (!o->resume && eval_every > 0 && !eval_data[0] && holdout < 0) {
        holdout = 2L * eval_n < (long)ds.count / 5 ? 2L * eval_n : (long)ds.count / 5;
    }
    if (holdout < 0) holdout = 0;
    Dataset tds = ds;
    uint8_t *trainpix = NULL, *heldpix = NULL;
    if (holdout > 0) {
        if (holdout >= (long)ds.count) {
            fk_error("%s: cannot hold out %ld of %u images (give --eval-data DATA.fkd instead)", data, holdout, ds.count);
            ds_close(&ds);
            return 2;
        }
        uint32_t *p = fk_malloc(ds.count * sizeof(uint32_t));
        uint8_t *held_mark = fk_calloc(ds.count, 1);
        eval_perm(p, ds.count, cfg.seed ^ 0x401d07ULL);
        heldpix = fk_malloc((size_t)holdout * img);
        for (long i = 0; i < holdout; i++) {
            const uint32_t k = p[ds.count - holdout + i];
            held_mark[k] = 1;
            memcpy(heldpix + (size_t)i * img, ds.pixels + (size_t)k * img, img);
        }
        trainpix = fk_malloc((ds.count - (size_t)holdout) * img);
        size_t t = 0;
        for (uint32_t k = 0; k < ds.count; k++)
            if (!held_mark[k]) memcpy(trainpix + t++ * img, ds.pixels + (size_t)k * img, img);
        tds.count = (uint32_t)t, tds.pixels = trainpix, tds.paths = NULL;
        free(p), free(held_mark);
    }
    Wgan w;
    if (wgan_init(&w, &cfg, be, &tds) != 0) {
        free(trainpix), free(heldpix);
        ds_close(&ds);
        return 2;
    }
    Evaluator ev = {0};
    Dataset eds = {0};
    int rc = 0;
    if (eval_every > 0) {
        ev.every = eval_every;
        if (eval_data[0]) {
            if (ds_open(&eds, eval_data) != 0) {
                rc = 2;
            } else if ((int)eds.size != cfg.isize || (int)eds.channels != cfg.nc) {
                fk_error("%s: holds %ux%u images with %u channels, the model makes %dx%d with %d", eval_data, eds.size,
                         eds.size, eds.channels, cfg.isize, cfg.isize, cfg.nc);
                rc = 2;
            } else if (eval_setup(&ev, eds.pixels, eds.count, cfg.nc, cfg.isize, eval_n, eval_data) != 0) {
                rc = 2;
            }
        } else if (holdout > 0) {
            if (eval_setup(&ev, heldpix, (size_t)holdout, cfg.nc, cfg.isize, eval_n, "the held-out part") != 0) rc = 2;
        } else {
            fk_error("%s: this run was started without held-out images; measure against --eval-data DATA.fkd", o->run_dir);
            rc = 2;
        }
    }
    const int n_fixed = cfg.batch < 64 ? cfg.batch : 64;
    float *fixed = fk_malloc((size_t)n_fixed * cfg.nz * sizeof(float));
    float *fixed_dev = be->alloc((size_t)n_fixed * cfg.nz);
    if (rc) {
    } else if (o->resume) {
        if (ckpt_load_run(o->run_dir, &w, fixed, n_fixed) != 0) rc = 1;
    } else {
        wgan_noise(&w, fixed, n_fixed);
    }
    be->upload(fixed_dev, fixed, (size_t)n_fixed * cfg.nz);
    char abs_data[PATH_MAX];
    if (!realpath(data, abs_data)) snprintf(abs_data, sizeof abs_data, "%s", data);
    char extra[2 * PATH_MAX + 300];
    {
        cJSON *e = cJSON_CreateObject();
        char v[32];
        cJSON_AddStringToObject(e, "data", abs_data);
        snprintf(v, sizeof v, "%ld", iters), cJSON_AddStringToObject(e, "target_iters", v);
        snprintf(v, sizeof v, "%ld", epochs), cJSON_AddStringToObject(e, "target_epochs", v);
        snprintf(v, sizeof v, "%ld", holdout), cJSON_AddStringToObject(e, "holdout", v);
        snprintf(v, sizeof v, "%d", eval_every), cJSON_AddStringToObject(e, "eval_every", v);
        snprintf(v, sizeof v, "%d", eval_n), cJSON_AddStringToObject(e, "eval_n", v);
        if (eval_data[0]) {
            char abs_eval[PATH_MAX];
            if (!realpath(eval_data, abs_eval)) snprintf(abs_eval, sizeof abs_eval, "%s", eval_data);
            cJSON_AddStringToObject(e, "eval_data", abs_eval);
        }
        char *s = cJSON_PrintUnformatted(e);
        snprintf(extra, sizeof extra, "%s", s);
        free(s);
        cJSON_Delete(e);
    }
    char *mpath = fk_join(o->run_dir, "metrics.csv"), *cpath = fk_join(o->run_dir, "loss.png");
    Series series = {0}, quality = {0};
    FILE *metrics = rc ? NULL : open_metrics(mpath, w.gen_iter, o->resume, &series, &quality);
    if (!rc && !metrics) rc = 1;
    if (!rc && !o->resume) {
        char *rpath = fk_join(o->run_dir, "real_samples.png");
        rc = save_reals(&tds, 64, rpath) ? 1 : 0;
        free(rpath);
    }
    if (rc) goto done;

    printf("fakeit train: %s (%u images, %dx%d, %d channel%s) -> %s\n", data, ds.count, cfg.isize, cfg.isize, cfg.nc,
           cfg.nc > 1 ? "s" : "", o->run_dir);
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
    if (holdout > 0) printf("  %ld images held out of training (%u trained on)\n", holdout, tds.count);
    if (ev.every)
        printf("  SWD every %d generator iterations: %d fakes vs %d reals of %s; real-vs-real floor %.2f\n", ev.every,
               ev.n, ev.n, eval_data[0] ? eval_data : "the held-out part", ev.floor.avg);
    if (o->resume) printf("  resuming at generator iteration %ld, epoch %ld\n", w.gen_iter, w.epoch);
    fflush(stdout);
    fk_stop_catch();
    const int tty = isatty(STDERR_FILENO);
    const double t0 = fk_seconds();
    const long start_iter = w.gen_iter, start_images = w.images;
    long critic_steps = 0;
    int sampled_now = 0, timed_out = 0;
    for (;;) {
        if (iters > 0 ? w.gen_iter >= iters : w.epoch >= epochs && w.pos >= (long)tds.count) break;
        if (fk_stop_signal()) break;
        if (o->time_limit > 0 && fk_seconds() - t0 - ev.seconds >= o->time_limit) {
            timed_out = 1;
            break;
        }
        wgan_iteration(&w);
        critic_steps += w.last_d_iters;
        // seconds of training: evaluation time is not counted (nor against --time-limit)
        const double el = fk_seconds() - t0 - ev.seconds, ips = (w.images - start_images) / (el > 0 ? el : 1);
        const double wd = (double)w.loss_d_fake - w.loss_d_real;  // the Wasserstein estimate, penalty aside
        const int last = iters > 0 ? w.gen_iter >= iters
                                   : (w.epoch >= epochs && w.pos >= (long)tds.count) ||
                                         (o->time_limit > 0 && el >= o->time_limit);
        char swd_cols[64] = ",";
        if (ev.every && (w.gen_iter % ev.every == 0 || last || (o->time_limit > 0 && el >= o->time_limit))) {
            const double q = eval_now(&ev, &w);
            snprintf(swd_cols, sizeof swd_cols, "%.6g,%.6g", q, ev.floor.avg);
            series_push(&quality, (double)w.gen_iter, q, 0);
            fprintf(stderr, "%s[%ld] SWD %.2f (real vs real %.2f)%s", tty ? "\r" : "", w.gen_iter, q, ev.floor.avg,
                    tty ? "                                        \n" : "\n");
        }
        fprintf(metrics, "%ld,%ld,%ld,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f,%.1f,%.9g,%s\n", w.gen_iter, w.epoch, w.images,
                w.last_d_iters, w.loss_d, w.loss_d_real, w.loss_d_fake, w.loss_g, wd, el, ips, w.loss_gp, swd_cols);
        fflush(metrics);
        series_push(&series, (double)w.gen_iter, wd, w.loss_g);
        // ETA: remaining critic steps at the measured cost of one
        double eta;
        if (iters > 0) {
            long rest = 0;
            // an epoch's end also ends the critic steps of an iteration
            const long per_epoch = (tds.count + cfg.batch - 1) / cfg.batch;
            for (long k = w.gen_iter; k < iters; k++) {
                const long d = wgan_diters_at(&cfg, k);
                rest += d < per_epoch ? d : per_epoch;
            }
            eta = critic_steps ? el / critic_steps * rest : 0;
        } else {
            const double rest_images = (double)(epochs - w.epoch) * tds.count + (double)(tds.count - w.pos);
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
            if (save_fakes(&w, fixed_dev, n_fixed, gpath) || chart_save(cpath, series.x, series.w, series.g, series.n, quality.x, quality.w, quality.n, ev.floor.avg)) rc = 1;
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
        if (save_fakes(&w, fixed_dev, n_fixed, gpath) || chart_save(cpath, series.x, series.w, series.g, series.n, quality.x, quality.w, quality.n, ev.floor.avg)) rc = 1;
        free(gpath);
    }
    if (!rc) {
        const double el = fk_seconds() - t0 - ev.seconds;
        printf("%s at generator iteration %ld (epoch %ld) after %.1f s: %.2f s per generator iteration\n",
               fk_stop_signal() ? "stopped by signal" : timed_out ? "time limit reached" : "done", w.gen_iter, w.epoch, el,
               w.gen_iter > start_iter ? el / (w.gen_iter - start_iter) : 0.0);
        printf("  models   %s/netG.safetensors %s/netD.safetensors\n", o->run_dir, o->run_dir);
        printf("  samples  %s/fake_samples_%06ld.png, chart %s, metrics %s\n", o->run_dir, w.gen_iter, cpath, mpath);
        if (ev.every && quality.n)
            printf("  SWD %.2f at iteration %.0f (real vs real %.2f; %.1f s spent measuring, not counted above)\n",
                   quality.w[quality.n - 1], quality.x[quality.n - 1], ev.floor.avg, ev.seconds);
        if (fk_stop_signal() || timed_out) printf("  continue with: fakeit train --resume %s\n", o->run_dir);
        if (fk_stop_signal()) rc = 128 + fk_stop_signal();
    }
    fk_stop_release();
done:
    if (metrics) fclose(metrics);
    free(series.x), free(series.w), free(series.g);
    free(quality.x), free(quality.w), free(quality.g);
    free(mpath), free(cpath), free(fixed);
    be->free(fixed_dev);
    if (ev.saved) be->free(ev.saved);
    free(ev.ra), free(ev.fakes), free(trainpix), free(heldpix);
    if (eds.map) ds_close(&eds);
    wgan_free(&w);
    ds_close(&ds);
    return rc;
}
