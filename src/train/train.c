// train.c: a training run, from data set (or folder of images) to run folder.
#include "train/train.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/prepare.h"
#include "dist/dist.h"
#include "draw/chart.h"
#include "draw/grid.h"
#include "eval/measure.h"
#include "eval/tracker.h"
#include "gan/augment.h"
#include "gan/runstate.h"
#include "train/metrics.h"
#include "train/report.h"
#include "util/files.h"
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

// Everything a run owns; run_free releases it all, whatever was reached.
typedef struct {
    const TrainOpts *o;
    int quiet;                            // --quiet, or not the process that prints (dist_lead)
    int stop_sig;                         // the stop signal any of the job's processes caught
    int undone;                           // an iteration was interrupted by it and undone
    int lock;                             // RUN/.lock's descriptor (-1: not held)
    const Backend *be;
    WganConfig cfg;
    long iters, epochs;                   // the targets
    char data[PATH_MAX], eval_data[PATH_MAX];
    long holdout;                         // images held out of training
    int eval_every, eval_n;
    int sample_every;                     // a grid every N iterations: its forward pass moves batch norm's statistics
    char stored_hash[24];                 // the data set's identity the state records ("" before 0.4)
    uint64_t data_hash;
    Dataset ds, eds;                      // the data set, the --eval-data set
    Dataset tds;                          // the training view: ds less the held-out images
    uint8_t *trainpix, *heldpix;          // their pixels when some are held out
    Wgan w;
    int have_w;
    SwdTracker tracker;                   // with eval_every
    int n_fixed;
    float *fixed, *fixed_dev;             // the grids' noise (host, backend)
    char *extra;                          // the run's own fields of the state's metadata (JSON)
    // what the computation ran on, kept in the state so that a resume continues bit for bit
    char stored_backend[32], stored_precision[8];
    int stored_threads, stored_processes;
    long saved_iter;                      // the iteration of the last checkpoint (-1: none yet)
    double seconds_before;                // training seconds of the run's earlier sessions
    double seconds;                       // and of this one so far
    char *mpath, *cpath;                  // metrics.csv, loss.png
    FILE *metrics;
    Series losses, quality;
} Run;

static void run_free(Run *r) {
    fk_unlock(r->lock);
    if (r->metrics) fclose(r->metrics);
    series_free(&r->losses), series_free(&r->quality);
    free(r->mpath), free(r->cpath), free(r->fixed), free(r->extra);
    if (r->fixed_dev) r->be->free(r->fixed_dev);
    tracker_free(&r->tracker);
    free(r->trainpix), free(r->heldpix);
    if (r->have_w) wgan_free(&r->w);
    ds_close(&r->eds), ds_close(&r->ds);
}

static void hms(double s, char *out, size_t n) {
    long t = s < 0 || s > 1e9 ? 0 : (long)(s + 0.5);
    snprintf(out, n, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static const char *meta_str(const cJSON *m, const char *key) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, key);
    return cJSON_IsString(e) ? e->valuestring : NULL;
}

// ---------------------------------------------------------------------------
// which run: a resumed one (its stored configuration, data and targets) or a new one

// RUN/.lock, before anything in RUN is written.
static int lock_run(const char *dir, const char *what) {
    char *path = fk_join(dir, ".lock");
    const int fd = fk_lock(path, dir, what);
    free(path);
    return fd;
}

static int resolve_resume(Run *r) {
    const TrainOpts *o = r->o;
    struct stat dir;
    if (stat(o->run_dir, &dir) != 0 || !S_ISDIR(dir.st_mode)) {
        fk_error("%s: nothing to resume here (no such folder)", o->run_dir);
        return 2;
    }
    if (dist_lead() && (r->lock = lock_run(o->run_dir, "train --resume")) < 0) return 2;
    char *m = runstate_metadata(o->run_dir);
    if (!m) {
        fk_error("%s: nothing to resume here (no readable state.safetensors)", o->run_dir);
        return 2;
    }
    char *spath = fk_join(o->run_dir, "state.safetensors");
    const int bad = wgan_config_parse(m, &r->cfg, spath);
    free(spath);
    cJSON *meta = cJSON_Parse(m);
    free(m);
    if (bad) {
        cJSON_Delete(meta);
        return 1;
    }
    const char *sb = meta_str(meta, "backend"), *sp = meta_str(meta, "precision"), *st = meta_str(meta, "threads"),
               *ss = meta_str(meta, "seconds");
    if (sb) snprintf(r->stored_backend, sizeof r->stored_backend, "%s", sb);
    if (sp) snprintf(r->stored_precision, sizeof r->stored_precision, "%s", sp);
    r->stored_threads = st ? atoi(st) : 0;
    const char *sn = meta_str(meta, "processes");
    r->stored_processes = sn ? atoi(sn) : 1;
    r->seconds_before = ss ? atof(ss) : 0;
    const char *d = meta_str(meta, "data"), *ti = meta_str(meta, "target_iters"), *te = meta_str(meta, "target_epochs");
    snprintf(r->data, sizeof r->data, "%s", o->data ? o->data : d ? d : "");
    if (!o->iters_set && !o->epochs_set && ti && te) r->iters = atol(ti), r->epochs = atol(te);
    if (o->iters_set) r->epochs = 0;
    if (o->epochs_set) r->iters = 0;
    // the held-out split is the run's; evaluation settings too unless given again
    const char *ho = meta_str(meta, "holdout"), *ee = meta_str(meta, "eval_every"), *en = meta_str(meta, "eval_n"),
               *ed = meta_str(meta, "eval_data");
    r->holdout = ho ? atol(ho) : 0;
    const char *se = meta_str(meta, "sample_every"), *dh = meta_str(meta, "data_hash");
    if (!o->sample_every_set && se && atoi(se) > 0) r->sample_every = atoi(se);
    if (o->sample_every_set && se && atoi(se) != o->sample_every)
        if (!r->quiet) printf("fakeit train: this run drew its grids every %s iterations, it continues every %d: the grids' forward "
               "passes move batch norm's running statistics, so the results will differ from an uninterrupted run\n",
               se, o->sample_every);
    if (dh) snprintf(r->stored_hash, sizeof r->stored_hash, "%s", dh);
    if (!o->eval_every && ee) {
        r->eval_every = atoi(ee);
        if (en) r->eval_n = atoi(en);
        if (ed && !o->eval_data) snprintf(r->eval_data, sizeof r->eval_data, "%s", ed);
    }
    cJSON_Delete(meta);
    return 0;
}

// `fakeit train FOLDER -o RUN`: the folder's images, prepared with prepare's
// defaults into RUN/data.fkd, are the data set.
static int prepare_folder(Run *r) {
    char *out = fk_join(r->o->run_dir, "data.fkd");
    if (!r->quiet) printf("fakeit train: %s is a folder of images: preparing it as fakeit prepare does by default into %s\n",
           r->o->data, out);
    fflush(stdout);
    PrepareOpts p;
    prepare_defaults(&p);
    p.out = out;
    p.threads = r->o->threads;
    p.quiet = r->quiet;
    char *in[1] = {(char *)r->o->data};
    const int rc = dist_lead() ? prepare_run(&p, in, 1, NULL) : 0;  // the others wait for it (run_open)
    snprintf(r->data, sizeof r->data, "%s", out);
    free(out);
    return rc;
}

static int resolve_new(Run *r) {
    const TrainOpts *o = r->o;
    if (fk_mkdirs(o->run_dir) != 0) return 2;
    if (dist_lead() && (r->lock = lock_run(o->run_dir, "train")) < 0) return 2;
    char *spath = fk_join(o->run_dir, "state.safetensors");
    struct stat st;
    const int exists = stat(spath, &st) == 0;
    free(spath);
    if (exists) {
        fk_error("%s: already holds a run; continue it with --resume %s, or choose another folder", o->run_dir,
                 o->run_dir);
        return 2;
    }
    if (stat(o->data, &st) == 0 && S_ISDIR(st.st_mode)) return prepare_folder(r);
    snprintf(r->data, sizeof r->data, "%s", o->data);
    return 0;
}

// ---------------------------------------------------------------------------
// the data: the set, its held-out part, the evaluation set

// `holdout` images chosen by the seed are never trained on; tds is the rest, in file order.
static void split_holdout(Run *r) {
    const Dataset *ds = &r->ds;
    const size_t img = ds_image_bytes(ds);
    uint32_t *p = fk_malloc(ds->count * sizeof(uint32_t));
    uint8_t *held_mark = fk_calloc(ds->count, 1);
    eval_perm(p, ds->count, r->cfg.seed ^ 0x401d07ULL);
    r->heldpix = fk_malloc((size_t)r->holdout * img);
    for (long i = 0; i < r->holdout; i++) {
        const uint32_t k = p[ds->count - r->holdout + i];
        held_mark[k] = 1;
        memcpy(r->heldpix + (size_t)i * img, ds->pixels + (size_t)k * img, img);
    }
    r->trainpix = fk_malloc((ds->count - (size_t)r->holdout) * img);
    size_t t = 0;
    for (uint32_t k = 0; k < ds->count; k++)
        if (!held_mark[k]) memcpy(r->trainpix + t++ * img, ds->pixels + (size_t)k * img, img);
    r->tds.count = (uint32_t)t, r->tds.pixels = r->trainpix, r->tds.paths = NULL;
    free(p), free(held_mark);
}

static int open_data(Run *r) {
    if (ds_open(&r->ds, r->data) != 0) return 2;
    if (!r->o->resume) r->cfg.isize = (int)r->ds.size, r->cfg.nc = (int)r->ds.channels;
    if (r->ds.count == 0) {
        fk_error("%s: the data set is empty", r->data);
        return 2;
    }
    r->data_hash = ds_hash(&r->ds);
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)r->data_hash);
    if (r->o->resume && r->stored_hash[0] && strcmp(hash, r->stored_hash) != 0) {
        if (!r->o->data || !r->o->data_changed) {
            fk_error("%s: not the data set this run was trained on (other pixels: hash %s, the run's %s); "
                     "to continue on it anyway, name it and confirm: fakeit train --resume %s %s --data-changed",
                     r->data, hash, r->stored_hash, r->o->run_dir, r->data);
            return 2;
        }
        if (!r->quiet) printf("fakeit train: continuing on %s, which is not the data set this run was trained on (--data-changed): "
               "the run will differ from one trained on its own data\n", r->data);
    }
    if (!r->o->resume && r->eval_every > 0 && !r->eval_data[0] && r->holdout < 0) {
        const long fifth = (long)r->ds.count / 5;
        r->holdout = 2L * r->eval_n < fifth ? 2L * r->eval_n : fifth;
    }
    if (r->holdout < 0) r->holdout = 0;
    r->tds = r->ds;
    if (r->holdout >= (long)r->ds.count) {
        fk_error("%s: cannot hold out %ld of %u images (give --eval-data DATA.fkd instead)", r->data, r->holdout,
                 r->ds.count);
        return 2;
    }
    if (r->holdout > 0) split_holdout(r);
    return 0;
}

// The reals that --eval-every measures against: --eval-data, or the held-out part.
static int open_tracker(Run *r) {
    const WganConfig *c = &r->cfg;
    if (r->eval_data[0]) {
        if (ds_open(&r->eds, r->eval_data) != 0) return 2;
        if ((int)r->eds.size != c->isize || (int)r->eds.channels != c->nc) {
            fk_error("%s: holds %ux%u images with %u channels, the model makes %dx%d with %d", r->eval_data,
                     r->eds.size, r->eds.size, r->eds.channels, c->isize, c->isize, c->nc);
            return 2;
        }
        return tracker_init(&r->tracker, r->eds.pixels, r->eds.count, c->nc, c->isize, r->eval_n, r->eval_data) ? 2
                                                                                                               : 0;
    }
    if (r->holdout > 0)
        return tracker_init(&r->tracker, r->heldpix, (size_t)r->holdout, c->nc, c->isize, r->eval_n,
                            "the held-out part")
                   ? 2
                   : 0;
    fk_error("%s: this run was started without held-out images; measure against --eval-data DATA.fkd", r->o->run_dir);
    return 2;
}

// ---------------------------------------------------------------------------
// the run folder

// The run's own fields in the state's metadata: data, targets, evaluation,
// what it computes on, its training seconds so far.
static char *run_extra(const Run *r) {
    char abs_data[PATH_MAX], abs_eval[PATH_MAX], v[32];
    if (!realpath(r->data, abs_data)) snprintf(abs_data, sizeof abs_data, "%s", r->data);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "data", abs_data);
    snprintf(v, sizeof v, "%ld", r->iters), cJSON_AddStringToObject(e, "target_iters", v);
    snprintf(v, sizeof v, "%ld", r->epochs), cJSON_AddStringToObject(e, "target_epochs", v);
    snprintf(v, sizeof v, "%ld", r->holdout), cJSON_AddStringToObject(e, "holdout", v);
    snprintf(v, sizeof v, "%d", r->eval_every), cJSON_AddStringToObject(e, "eval_every", v);
    snprintf(v, sizeof v, "%d", r->eval_n), cJSON_AddStringToObject(e, "eval_n", v);
    snprintf(v, sizeof v, "%d", r->sample_every), cJSON_AddStringToObject(e, "sample_every", v);
    snprintf(v, sizeof v, "%016llx", (unsigned long long)r->data_hash), cJSON_AddStringToObject(e, "data_hash", v);
    if (r->eval_data[0]) {
        if (!realpath(r->eval_data, abs_eval)) snprintf(abs_eval, sizeof abs_eval, "%s", r->eval_data);
        cJSON_AddStringToObject(e, "eval_data", abs_eval);
    }
    cJSON_AddStringToObject(e, "backend", r->be->name);
    cJSON_AddStringToObject(e, "precision", r->o->precision ? r->o->precision : r->stored_precision[0] ? r->stored_precision : "fp32");
    snprintf(v, sizeof v, "%d", r->be->get_threads()), cJSON_AddStringToObject(e, "threads", v);
    snprintf(v, sizeof v, "%d", dist_size()), cJSON_AddStringToObject(e, "processes", v);
    snprintf(v, sizeof v, "%.3f", r->seconds_before + r->seconds), cJSON_AddStringToObject(e, "seconds", v);
    char *s = cJSON_PrintUnformatted(e);
    cJSON_Delete(e);
    return s;
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

// RUN/report.html as of now: the configuration and the run's own fields as
// the state would hold them, and where it stands.
static int write_report(const Run *r, ReportStatus st) {
    if (!dist_lead()) return 0;
    char *cfg = wgan_config_json(&r->cfg, "state"), *extra = run_extra(r), v[32];
    cJSON *m = cJSON_Parse(cfg), *e = cJSON_Parse(extra);
    for (cJSON *it = e ? e->child : NULL; it; it = it->next)
        cJSON_AddStringToObject(m, it->string, cJSON_IsString(it) ? it->valuestring : "");
    snprintf(v, sizeof v, "%ld", r->w.gen_iter), cJSON_AddStringToObject(m, "gen_iter", v);
    snprintf(v, sizeof v, "%ld", r->w.epoch), cJSON_AddStringToObject(m, "epoch", v);
    snprintf(v, sizeof v, "%ld", r->w.images), cJSON_AddStringToObject(m, "images", v);
    snprintf(v, sizeof v, "%u", r->w.ds->count), cJSON_AddStringToObject(m, "data_count", v);  // as the state
    char *meta = cJSON_PrintUnformatted(m);
    const int rc = report_write(r->o->run_dir, st, meta);
    free(cfg), free(extra), free(meta);
    cJSON_Delete(m), cJSON_Delete(e);
    return rc;
}

// The fixed noise through the generator (in training mode, as the original
// samples) as fake_samples_NNNNNN.png, the chart redrawn, the report rewritten.
static int save_progress(Run *r) {
    Wgan *w = &r->w;
    const WganConfig *c = &w->cfg;
    const size_t nimg = (size_t)r->n_fixed * c->nc * c->isize * c->isize;
    float *host = fk_malloc(nimg * sizeof(float));
    w->be->download(host, net_forward(w->G, r->fixed_dev, r->n_fixed), nimg);  // every process: its statistics move
    if (!dist_lead()) {
        free(host);
        return 0;
    }
    char name[64];
    snprintf(name, sizeof name, "fake_samples_%06ld.png", w->gen_iter);
    char *gpath = fk_join(r->o->run_dir, name);
    const int rc = grid_save(gpath, host, r->n_fixed, c->nc, c->isize, c->isize, 8) ||
                   chart_save(r->cpath, r->losses.x, r->losses.y, r->losses.z, r->losses.n, r->quality.x,
                              r->quality.y, r->quality.n, r->tracker.floor.avg) ||
                   write_report(r, REPORT_TRAINING);
    free(gpath), free(host);
    return rc ? 1 : 0;
}

// The backend, thread count and precision: what the options say, else on a
// resume what the run ran on (so that it continues bit for bit), said once
// when a resume changes them.
static int pick_backend(Run *r) {
    const TrainOpts *o = r->o;
    const char *name = o->backend, *prec = o->precision;
    int threads = o->threads;
    if (o->resume) {
        if (!name && r->stored_backend[0]) {
            if (backend_find(r->stored_backend))
                name = r->stored_backend;
            else
                if (!r->quiet) printf("fakeit train: this run ran on the %s backend, which cannot run here: continuing on the default\n",
                       r->stored_backend);
        }
        if (!threads) threads = r->stored_threads;
        if (!prec && r->stored_precision[0]) prec = r->stored_precision;
    }
    if (!(r->be = backend_pick(name, threads, prec))) return 2;
    if (o->resume && r->stored_backend[0]) {
        const int other_backend = strcmp(r->be->name, r->stored_backend) != 0;
        const int other_threads = r->stored_threads && r->be->host_memory && r->be->get_threads() != r->stored_threads;
        const int other_prec = r->stored_precision[0] && prec && strcmp(prec, r->stored_precision) != 0;
        if (r->stored_processes != dist_size())
            if (!r->quiet) printf("fakeit train: this run ran as %d process%s, it continues as %d: the results will differ "
                                  "from an uninterrupted run in the last bits\n",
                                  r->stored_processes, r->stored_processes == 1 ? "" : "es", dist_size());
        if (other_backend || other_threads || other_prec)
            if (!r->quiet) printf("fakeit train: this run ran on %s with %d thread%s in %s, it continues on %s with %d thread%s in %s: "
                   "the results will differ from an uninterrupted run in the last bits\n",
                   r->stored_backend, r->stored_threads, r->stored_threads == 1 ? "" : "s",
                   r->stored_precision[0] ? r->stored_precision : "fp32", r->be->name, r->be->get_threads(),
                   r->be->get_threads() == 1 ? "" : "s", prec ? prec : "fp32");
    }
    return 0;
}

// Refuses a run whose networks, activations and data cannot fit in the
// memory left, before allocating them (instead of being killed part-way).
static int check_memory(const Run *r) {
    const WganConfig *c = &r->cfg;
    const double need = wgan_memory_estimate(c, (double)r->ds.count * ds_image_bytes(&r->ds) * (r->holdout > 0 ? 2 : 1));
    const int local = dist_local_size();  // under mpirun the host's memory is shared by its processes
    const double avail = (double)fk_mem_available() / local;
    if (avail <= 0 || need <= avail || !r->be->host_memory) return 0;
    char a[32], b[32];
    fk_error("%s: this run needs about %s of memory (batch %d, %dx%d images, widths %d/%d) and %s is available%s: "
             "lower --batch, the image size or --ngf/--ndf",
             r->o->run_dir, fk_bytes_str(need, a, sizeof a), c->batch, c->isize, c->isize, c->ngf, c->ndf,
             fk_bytes_str(avail, b, sizeof b), local > 1 ? " to each of this host's processes" : "");
    return 2;
}

static int run_open_rest(Run *r, const TrainOpts *o);

// Everything before the first iteration: the run, its data, the networks,
// the evaluation, the grids' noise, metrics.csv and the real images' grid.
static int run_open(Run *r, const TrainOpts *o) {
    memset(r, 0, sizeof *r);
    r->o = o;
    r->quiet = o->quiet || !dist_lead();
    r->lock = -1;
    r->saved_iter = -1;
    r->cfg = o->cfg;
    r->sample_every = o->sample_every;
    r->iters = o->iters, r->epochs = o->epochs, r->holdout = o->holdout;
    r->eval_every = o->eval_every, r->eval_n = o->eval_n;
    if (o->eval_data) snprintf(r->eval_data, sizeof r->eval_data, "%s", o->eval_data);
    int rc = o->resume ? resolve_resume(r) : resolve_new(r);
    rc = dist_max_int(rc);  // under mpirun: every process goes on, or none (and the data is prepared)
    if (!rc) rc = pick_backend(r);
    if (!rc) rc = open_data(r);
    if (!rc) rc = check_memory(r);
    if (!rc) rc = wgan_init(&r->w, &r->cfg, r->be, &r->tds) != 0 ? 2 : 0;
    if (!rc) r->have_w = 1;
    if (!rc && r->eval_every > 0) rc = open_tracker(r);
    if (!rc) rc = run_open_rest(r, o);
    return dist_max_int(rc);
}

// run_open's part once the networks are built: their state, the noise, the files.
static int run_open_rest(Run *r, const TrainOpts *o) {
    int rc = 0;
    r->n_fixed = r->cfg.batch < 64 ? r->cfg.batch : 64;
    r->fixed = fk_malloc((size_t)r->n_fixed * r->cfg.nz * sizeof(float));
    r->fixed_dev = r->be->alloc((size_t)r->n_fixed * r->cfg.nz);
    if (o->resume && runstate_load(o->run_dir, &r->w, r->fixed, r->n_fixed) != 0) return 1;
    if (o->resume) r->saved_iter = r->w.gen_iter;
    if (!o->resume) wgan_noise(&r->w, r->fixed, r->n_fixed);
    r->be->upload(r->fixed_dev, r->fixed, (size_t)r->n_fixed * r->cfg.nz);
    r->extra = run_extra(r);
    r->mpath = fk_join(o->run_dir, "metrics.csv"), r->cpath = fk_join(o->run_dir, "loss.png");
    if (!dist_lead()) return 0;  // the lead process writes the run's files
    if (!(r->metrics = metrics_open(r->mpath, r->w.gen_iter, o->resume, &r->losses, &r->quality))) return 1;
    if (!o->resume) {
        char *rpath = fk_join(o->run_dir, "real_samples.png");
        rc = save_reals(&r->tds, 64, rpath) ? 1 : 0;
        free(rpath);
    }
    return rc;
}

// ---------------------------------------------------------------------------
// the loop

static void print_header(const Run *r) {
    const WganConfig *c = &r->cfg;
    const Wgan *w = &r->w;
    printf("fakeit train: %s (%u images, %dx%d, %d channel%s) -> %s\n", r->data, r->ds.count, c->isize, c->isize,
           c->nc, c->nc > 1 ? "s" : "", r->o->run_dir);
    if (!r->o->resume && r->o->recipe) {
        printf("  recipe %s; ", r->o->recipe);
        if (r->iters > 0) printf("%ld generator iteration%s", r->iters, r->iters == 1 ? "" : "s");
        else printf("%ld epoch%s", r->epochs, r->epochs == 1 ? "" : "s");
        printf(" (the ETA is on every progress line)\n");
    }
    static const char *norms[] = {"batch", "layer", "no"};
    char how[96];
    if (c->loss == WGAN_LOSS_GP)
        snprintf(how, sizeof how, "WGAN-GP lambda %g, %s norm in the critic", c->gp_lambda, norms[c->critic_norm]);
    else
        snprintf(how, sizeof how, "clip %g", c->clip);
    printf("  G %zu parameters, D %zu; batch %d, %s lr G %g D %g", w->G->n_params, w->D->n_params, c->batch,
           c->adam ? "Adam" : "RMSprop", c->lr_g, c->lr_d);
    if (c->adam) printf(" betas (%g, %g)", c->beta1, c->beta2);
    printf(", %s, %d critic steps (%d early); backend %s, %d thread%s\n", how, c->d_iters, c->d_iters_warm,
           r->be->name, r->be->get_threads(), r->be->get_threads() == 1 ? "" : "s");
    if (c->augment) {
        char aug[64];
        augment_format((unsigned)c->augment, aug, sizeof aug);
        printf("  DiffAugment: %s, on every image the critic sees\n", aug);
    }
    if (dist_size() > 1)
        printf("  data-parallel: %d processes, each about %d of every batch of %d; batch norm's statistics and the "
               "gradients summed by %s\n",
               dist_size(), (c->batch + dist_size() - 1) / dist_size(), c->batch, dist_sums_name(r->be));
    if (r->holdout > 0) printf("  %ld images held out of training (%u trained on)\n", r->holdout, r->tds.count);
    if (r->eval_every)
        printf("  SWD every %d generator iterations: %d fakes vs %d reals of %s; real-vs-real floor %.2f\n",
               r->eval_every, r->tracker.n, r->tracker.n, r->eval_data[0] ? r->eval_data : "the held-out part",
               r->tracker.floor.avg);
    if (r->o->resume) printf("  resuming at generator iteration %ld, epoch %ld\n", w->gen_iter, w->epoch);
    fflush(stdout);
}

static int reached_end(const Run *r) {
    return r->iters > 0 ? r->w.gen_iter >= r->iters : r->w.epoch >= r->epochs && r->w.pos >= (long)r->tds.count;
}

// Seconds left: remaining critic steps at the measured cost of one, or
// remaining images at the measured rate.
static double eta(const Run *r, double el, double ips, long critic_steps) {
    double e;
    if (r->iters > 0) {
        long rest = 0;
        const long per_epoch = (r->tds.count + r->cfg.batch - 1) / r->cfg.batch;  // an epoch's end ends the critic steps
        for (long k = r->w.gen_iter; k < r->iters; k++) {
            const long d = wgan_diters_at(&r->cfg, k);
            rest += d < per_epoch ? d : per_epoch;
        }
        e = critic_steps ? el / critic_steps * rest : 0;
    } else {
        const double rest_images = (double)(r->epochs - r->w.epoch) * r->tds.count + (double)(r->tds.count - r->w.pos);
        e = ips > 0 ? rest_images / ips : 0;
    }
    const double limit = r->o->time_limit;
    return limit > 0 && e > limit - el ? limit - el : e;
}

// One row of metrics.csv, the progress line, SWD when due.
static int log_iteration(Run *r, double el, double ips, long critic_steps, long start_iter, int tty) {
    const Wgan *w = &r->w;
    const double wd = (double)w->loss_d_fake - w->loss_d_real;  // the Wasserstein estimate, penalty aside
    const int last = reached_end(r) || (r->o->time_limit > 0 && el >= r->o->time_limit);
    char swd_cols[64] = ",";
    if (r->eval_every && (w->gen_iter % r->eval_every == 0 || last)) {
        const double q = tracker_measure(&r->tracker, &r->w);
        snprintf(swd_cols, sizeof swd_cols, "%.6g,%.6g", q, r->tracker.floor.avg);
        series_push(&r->quality, (double)w->gen_iter, q, 0);
        if (!r->quiet) fprintf(stderr, "%s[%ld] SWD %.2f (real vs real %.2f)%s", tty ? "\r" : "", w->gen_iter, q,
                r->tracker.floor.avg, tty ? "                                        \n" : "\n");
    }
    if (r->metrics) fprintf(r->metrics, "%ld,%ld,%ld,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f,%.1f,%.9g,%s\n", w->gen_iter, w->epoch,
            w->images, w->last_d_iters, w->loss_d, w->loss_d_real, w->loss_d_fake, w->loss_g, wd, r->seconds_before + el,
            ips, w->loss_gp,
            swd_cols);
    if (r->metrics && (fflush(r->metrics) != 0 || ferror(r->metrics))) {
        fk_error("%s: cannot append: %s (disk full? the rows up to the last checkpoint are intact)", r->mpath,
                 strerror(errno));
        return 1;
    }
    series_push(&r->losses, (double)w->gen_iter, wd, w->loss_g);
    char e1[40], e2[40];
    hms(el, e1, sizeof e1), hms(eta(r, el, ips, critic_steps), e2, sizeof e2);
    if (!r->quiet && (tty || w->gen_iter % 10 == 0 || w->gen_iter == start_iter + 1))
        fprintf(stderr, "%s[%ld%s%ld] epoch %ld  W %.5f  Loss_G %.5f  %.1f img/s  %s  ETA %s%s", tty ? "\r" : "",
                w->gen_iter, r->iters > 0 ? "/" : " gen iters, epochs ", r->iters > 0 ? r->iters : r->epochs,
                w->epoch, wd, w->loss_g, ips, e1, e2, tty ? "   " : "\n");
    return 0;
}

// Non-finite values in the block of n floats at `dev` (on the backend).
static size_t count_nonfinite(const Backend *be, const float *dev, size_t n) {
    const float *h = dev;
    float *copy = NULL;
    if (!be->host_memory) be->download(copy = fk_malloc(n * sizeof(float) + 1), dev, n), h = copy;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += !isfinite(h[i]);
    free(copy);
    return bad;
}

// The divergence guard: the losses after every iteration and, with `weights`
// (before anything is saved), every parameter and running statistic. On a
// NaN or infinity it says what and where and returns TRAIN_DIVERGED, so that
// nothing is saved over the last good checkpoint.
static int check_finite(Run *r, int weights) {
    const Wgan *w = &r->w;
    const char *what = NULL;
    char buf[160];
    const float losses[5] = {w->loss_d, w->loss_d_real, w->loss_d_fake, w->loss_g, w->loss_gp};
    static const char *const names[5] = {"the critic's loss (Loss_D)", "the critic's loss on reals",
                                         "the critic's loss on fakes", "the generator's loss (Loss_G)",
                                         "the gradient penalty (the critic's gradient norm)"};
    for (int i = 0; i < 5 && !what; i++)
        if (!isfinite(losses[i])) snprintf(buf, sizeof buf, "%s is %g", names[i], losses[i]), what = buf;
    const Net *nets[2] = {w->G, w->D};
    static const char *const who[2] = {"generator", "critic"};
    for (int k = 0; k < 2 && weights && !what; k++) {
        const size_t bp = count_nonfinite(w->be, nets[k]->params, nets[k]->n_params);
        const size_t bb = count_nonfinite(w->be, nets[k]->buffers, nets[k]->n_buffers);
        if (bp || bb)
            snprintf(buf, sizeof buf, "the %s's %s hold %zu non-finite values", who[k], bp ? "weights" : "running statistics",
                     bp ? bp : bb),
                what = buf;
    }
    if (!what) return 0;
    if (r->saved_iter >= 0)
        fk_error("%s: training diverged at generator iteration %ld: %s. Nothing was saved after it: the checkpoint of "
                 "iteration %ld is intact and samples (a resume would repeat the same steps and diverge again: train "
                 "anew with a lower learning rate, --lr-d/--lr-g)",
                 r->o->run_dir, w->gen_iter, what, r->saved_iter);
    else
        fk_error("%s: training diverged at generator iteration %ld: %s. No checkpoint had been written yet; start again "
                 "with a lower learning rate (--lr-d/--lr-g)",
                 r->o->run_dir, w->gen_iter, what);
    return TRAIN_DIVERGED;
}

// The run's state, with its metadata as of now (the seconds move on).
static int save_state(Run *r) {
    int rc = check_finite(r, 1);
    if (rc) return rc;
    free(r->extra);
    r->extra = run_extra(r);
    if (dist_lead() && runstate_save(r->o->run_dir, &r->w, r->fixed, r->n_fixed, r->extra)) return 1;
    r->saved_iter = r->w.gen_iter;
    return 0;
}

static void print_summary(const Run *r, double el, long start_iter, int timed_out, const DistTally *t0) {
    const Wgan *w = &r->w;
    const char *dir = r->o->run_dir;
    DistTally t;
    dist_tally(&t);
    const long done = w->gen_iter - start_iter;
    printf("%s at generator iteration %ld (epoch %ld) after %.1f s: %.2f s per generator iteration\n",
           r->stop_sig ? "stopped by signal" : timed_out ? "time limit reached" : "done", w->gen_iter, w->epoch,
           el, w->gen_iter > start_iter ? el / (w->gen_iter - start_iter) : 0.0);
    printf("  models   %s/netG.safetensors %s/netD.safetensors\n", dir, dir);
    printf("  samples  %s/fake_samples_%06ld.png, chart %s, metrics %s\n", dir, w->gen_iter, r->cpath, r->mpath);
    printf("  report   %s/report.html (open it in a browser; fakeit report %s rewrites it)\n", dir, dir);
    if (r->eval_every && r->quality.n)
        printf("  SWD %.2f at iteration %.0f (real vs real %.2f; %.1f s spent measuring, not counted above)\n",
               r->quality.y[r->quality.n - 1], r->quality.x[r->quality.n - 1], r->tracker.floor.avg,
               r->tracker.seconds);
    if (dist_size() > 1 && done > 0 && t.calls > t0->calls)
        printf("  sums over the %d processes: %.0f per generator iteration, %.2f MB, %.1f ms (%.0f%% of the time, "
               "waiting for the slowest process included)\n",
               dist_size(), (double)(t.calls - t0->calls) / done, (t.bytes - t0->bytes) / done / 1e6,
               1e3 * (t.seconds - t0->seconds) / done, el > 0 ? 100 * (t.seconds - t0->seconds) / el : 0.0);
    if (r->undone) printf("  the iteration under way when the signal came was undone: the state is that of iteration %ld\n",
                          w->gen_iter);
    if (r->stop_sig || timed_out) printf("  continue with: fakeit train --resume %s\n", dir);
}

// Under mpirun: whether any process caught a stop signal (every process
// asks together, after each critic step). mpirun kills the processes a
// second after passing a Ctrl-C or SIGTERM on, too soon to wait for the
// iteration's end: the iteration is undone and its start saved instead.
static int stop_agreed(void *user) {
    (void)user;
    return dist_max_int(fk_stop_signal());
}

static int train_loop(Run *r) {
    const TrainOpts *o = r->o;
    Wgan *w = &r->w;
    if (!r->quiet) print_header(r);
    fk_stop_catch();
    if (dist_size() > 1) w->interrupt = stop_agreed;
    const int tty = !r->quiet && isatty(STDERR_FILENO);
    const double t0 = fk_seconds();
    const long start_iter = w->gen_iter, start_images = w->images;
    DistTally tally0;
    dist_tally(&tally0);
    long critic_steps = 0;
    int rc = 0, sampled_now = 0, timed_out = 0;
    // seconds of training: measuring time is not counted (nor against --time-limit)
    int stopped = 0;  // by the embedding program's progress callback or stop flag
    for (;;) {
        // whether to go on, decided by every process together (under mpirun one
        // small all-reduce): a failure, a signal or the time limit on any stops all
        int v[4] = {rc, fk_stop_signal(), stopped | (o->stop && *o->stop),
                    o->time_limit > 0 && fk_seconds() - t0 - r->tracker.seconds >= o->time_limit};
        dist_max_ints(v, 4);
        rc = v[0], r->stop_sig = v[1], stopped = v[2];
        if (rc || reached_end(r) || r->stop_sig || stopped) break;
        if (v[3]) {
            timed_out = 1;
            break;
        }
        if (wgan_iteration(w)) {  // interrupted and undone: the signal is agreed above
            r->undone = 1;
            continue;
        }
        critic_steps += w->last_d_iters;
        const double el = r->seconds = fk_seconds() - t0 - r->tracker.seconds;
        rc = log_iteration(r, el, (w->images - start_images) / (el > 0 ? el : 1), critic_steps, start_iter, tty);
        if (!rc) rc = check_finite(r, 0);
        if (!rc && o->progress) {
            const TrainProgress p = {w->gen_iter, r->iters, w->epoch, (double)w->loss_d_fake - w->loss_d_real,
                                     w->loss_g, r->seconds_before + el, (w->images - start_images) / (el > 0 ? el : 1)};
            stopped |= o->progress(&p, o->progress_user) != 0;
        }
        sampled_now = w->gen_iter % r->sample_every == 0;
        if (!rc && sampled_now) rc = save_progress(r);
        if (!rc && w->gen_iter % o->save_every == 0) rc = save_state(r);
    }
    if (tty) fputc('\n', stderr);
    // the final checkpoint first: the last grid's forward pass must not be in it
    if (!rc) rc = save_state(r);
    if (!rc && !sampled_now && w->gen_iter > start_iter) rc = save_progress(r);
    const ReportStatus st = rc == TRAIN_DIVERGED ? REPORT_DIVERGED
                            : rc                 ? REPORT_FAILED
                            : reached_end(r)     ? REPORT_FINISHED
                                                 : REPORT_STOPPED;
    if (write_report(r, st) != 0 && !rc) rc = 1;
    if (!rc) {
        if (!r->quiet) print_summary(r, fk_seconds() - t0 - r->tracker.seconds, start_iter, timed_out, &tally0);
        if (r->stop_sig) rc = 128 + r->stop_sig;
        else if (stopped && !reached_end(r)) rc = TRAIN_STOPPED;
    }
    fk_stop_release();
    return rc;
}

int train_run(const TrainOpts *o) {
    Run r;
    int rc = run_open(&r, o);  // every process agrees on its outcome
    if (!rc && dist_size() > 1) dist_attach(r.be);
    if (!rc) rc = train_loop(&r);
    run_free(&r);
    return rc;
}
