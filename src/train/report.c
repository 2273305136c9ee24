// report.c: RUN/report.html (report.h). The C side gathers the figures and
// writes them into the page as one JSON object; the page's script
// (report_page.js) draws the charts and the slider from it.
#include "train/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "draw/chart.h"
#include "gan/augment.h"
#include "gan/runstate.h"
#include "util/files.h"
#include "util/util.h"
#include "util/version.h"

enum { MAX_POINTS = 1500 };  // points per chart line: the page stays small however long the run

// ---------------------------------------------------------------------------
// metrics.csv

enum { C_ITER, C_W, C_G, C_GP, C_SWD, C_FLOOR, C_SECONDS, C_IPS, C_EPOCH, N_COLS };
static const char *const col_names[N_COLS] = {"gen_iter", "wasserstein", "loss_g",       "loss_gp", "swd",
                                              "swd_real", "seconds",     "images_per_s", "epoch"};

typedef struct {
    int n;
    double *col[N_COLS];  // by column (C_ITER ...), NAN where empty
} Metrics;

static void metrics_free(Metrics *m) {
    for (int c = 0; c < N_COLS; c++) free(m->col[c]);
}

// The columns fakeit's report uses, found by name in the header. 0, or -1
// after printing (the file missing or unreadable: a run not started yet).
static int metrics_read(const char *path, Metrics *m) {
    memset(m, 0, sizeof *m);
    char *txt;
    size_t len;
    if (fk_read_file(path, &txt, &len) != 0) return -1;
    int idx[32], ncols = 0;
    char *line = txt, *next = strchr(line, '\n');
    if (next) *next = 0;
    for (char *tok = strtok(line, ","); tok && ncols < 32; tok = strtok(NULL, ",")) {
        idx[ncols] = -1;
        for (int c = 0; c < N_COLS; c++)
            if (!strcmp(tok, col_names[c])) idx[ncols] = c;
        ncols++;
    }
    size_t rows = 0;
    for (size_t i = 0; i < len; i++) rows += txt[i] == '\n';
    for (int c = 0; c < N_COLS; c++) m->col[c] = fk_malloc((rows + 1) * sizeof(double));
    for (line = next ? next + 1 : NULL; line && *line; line = next) {
        next = strchr(line, '\n');
        if (!next) break;  // a row being written: not whole yet
        *next++ = 0;
        double v[N_COLS];
        for (int c = 0; c < N_COLS; c++) v[c] = NAN;
        char *p = line;
        for (int k = 0; k < ncols && p; k++) {
            char *comma = strchr(p, ',');
            if (comma) *comma = 0;
            char *end;
            const double x = strtod(p, &end);
            if (idx[k] >= 0 && end != p) v[idx[k]] = x;
            p = comma ? comma + 1 : NULL;
        }
        if (isnan(v[C_ITER])) continue;
        for (int c = 0; c < N_COLS; c++) m->col[c][m->n] = v[c];
        m->n++;
    }
    free(txt);
    return 0;
}

// ---------------------------------------------------------------------------
// the page's data, as JSON

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

// The loss series, at most MAX_POINTS rows (every k-th, and the last; the
// median at each of them over all rows around it, with loss.png's window:
// 101 iterations as in the paper, a tenth of a shorter run), and the SWD
// rows (few: one per measurement).
static void add_series(cJSON *page, const Metrics *m) {
    const int step = m->n > MAX_POINTS ? (m->n + MAX_POINTS - 1) / MAX_POINTS : 1;
    const int win = m->n >= 1010 ? 101 : (m->n / 10) | 1;
    double *buf = fk_malloc((size_t)(win + 1) * sizeof(double));  // the median at the rows drawn only
    cJSON *s = cJSON_AddObjectToObject(page, "series");
    cJSON *x = cJSON_AddArrayToObject(s, "iter"), *w = cJSON_AddArrayToObject(s, "w"),
          *med = cJSON_AddArrayToObject(s, "w_median"), *g = cJSON_AddArrayToObject(s, "loss_g"),
          *gp = cJSON_AddArrayToObject(s, "gp");
    int any_gp = 0;
    for (int i = 0; i < m->n; i += step) {
        const int last = i + step >= m->n ? m->n - 1 : i;  // always end on the last row
        cJSON_AddItemToArray(x, num(m->col[C_ITER][last]));
        cJSON_AddItemToArray(w, num(m->col[C_W][last]));
        cJSON_AddItemToArray(med, num(median_at(m->col[C_W], m->n, win, last, buf)));
        cJSON_AddItemToArray(g, num(m->col[C_G][last]));
        cJSON_AddItemToArray(gp, num(m->col[C_GP][last]));
        any_gp |= isfinite(m->col[C_GP][last]) && m->col[C_GP][last] != 0;
        if (last != i) break;
    }
    free(buf);
    cJSON_AddBoolToObject(s, "has_gp", any_gp);
    cJSON *q = cJSON_AddObjectToObject(page, "swd");
    cJSON *qx = cJSON_AddArrayToObject(q, "iter"), *qy = cJSON_AddArrayToObject(q, "swd"),
          *qf = cJSON_AddArrayToObject(q, "floor");
    for (int i = 0; i < m->n; i++)
        if (isfinite(m->col[C_SWD][i])) {
            cJSON_AddItemToArray(qx, num(m->col[C_ITER][i]));
            cJSON_AddItemToArray(qy, num(m->col[C_SWD][i]));
            cJSON_AddItemToArray(qf, num(m->col[C_FLOOR][i]));
        }
}

static const char *meta_get(const cJSON *meta, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(meta, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double meta_num(const cJSON *meta, const char *key) {
    const char *v = meta_get(meta, key);
    return v ? atof(v) : 0;
}

// Iteration, targets, speed and the time left.
static void add_progress(cJSON *page, const Metrics *m, const cJSON *meta) {
    const double iter = m->n ? m->col[C_ITER][m->n - 1] : meta_num(meta, "gen_iter");
    const double target = meta_num(meta, "target_iters"), epochs = meta_num(meta, "target_epochs");
    cJSON_AddNumberToObject(page, "iteration", iter);
    cJSON_AddNumberToObject(page, "epoch", m->n ? m->col[C_EPOCH][m->n - 1] : meta_num(meta, "epoch"));
    cJSON_AddItemToObject(page, "target_iters", num(target > 0 ? target : NAN));
    cJSON_AddItemToObject(page, "target_epochs", num(target > 0 ? NAN : epochs));
    double ips = NAN, its = NAN, secs = NAN;
    if (m->n) {
        ips = m->col[C_IPS][m->n - 1], secs = m->col[C_SECONDS][m->n - 1];
        // iterations per second over the last 200 rows of this session (seconds only grow within one)
        int k = m->n - 1;
        while (k > 0 && m->n - 1 - k < 200 && m->col[C_SECONDS][k - 1] <= m->col[C_SECONDS][k]) k--;
        const double dt = m->col[C_SECONDS][m->n - 1] - m->col[C_SECONDS][k];
        if (dt > 0) its = (m->col[C_ITER][m->n - 1] - m->col[C_ITER][k]) / dt;
    }
    double eta = NAN;
    if (target > 0 && isfinite(its) && its > 0)
        eta = (target - iter) / its;
    else if (epochs > 0 && isfinite(ips) && ips > 0)  // by images: the training images per epoch
        eta = (epochs * meta_num(meta, "data_count") - meta_num(meta, "images")) / ips;
    cJSON_AddItemToObject(page, "images_per_s", num(ips));
    cJSON_AddItemToObject(page, "iters_per_s", num(its));
    cJSON_AddItemToObject(page, "seconds", num(secs));
    cJSON_AddItemToObject(page, "eta_s", num(eta > 0 ? eta : isfinite(eta) ? 0 : NAN));
}

// The configuration the page lists: label, metadata key.
static const char *const config_rows[][2] = {
    {"data set", "data"},          {"training images", "data_count"}, {"held out", "holdout"},
    {"image size", "isize"},       {"channels", "nc"},         {"noise size", "nz"},
    {"generator width", "ngf"},    {"critic width", "ndf"},    {"extra layers", "n_extra"},
    {"batch", "batch"},            {"loss", "loss"},           {"critic norm", "critic_norm"},
    {"batch norm in G", "bn_g"},   {"optimiser", "adam"},      {"lr G", "lr_g"},
    {"lr D", "lr_d"},              {"clip", "clip"},           {"GP lambda", "gp_lambda"},
    {"critic steps", "d_iters"},   {"early critic steps", "d_iters_warm"}, {"DiffAugment", "augment"},
    {"seed", "seed"},
    {"backend", "backend"},        {"precision", "precision"}, {"threads", "threads"},
    {"sample every", "sample_every"}, {"SWD every", "eval_every"},
};

static void add_config(cJSON *page, const cJSON *meta) {
    cJSON *cfg = cJSON_AddArrayToObject(page, "config");
    const int gp = meta_num(meta, "loss") == 1, adam = meta_num(meta, "adam") == 1;
    for (size_t i = 0; i < sizeof config_rows / sizeof *config_rows; i++) {
        const char *key = config_rows[i][1], *v = meta_get(meta, key);
        if (!v || (gp && !strcmp(key, "clip")) || (!gp && !strcmp(key, "gp_lambda"))) continue;
        char buf[64];
        if (!strcmp(key, "loss")) v = gp ? "WGAN-GP" : "WGAN (weight clipping)";
        else if (!strcmp(key, "adam")) v = adam ? "Adam" : "RMSprop";
        else if (!strcmp(key, "critic_norm")) v = atoi(v) == 0 ? "batch" : atoi(v) == 1 ? "layer" : "none";
        else if (!strcmp(key, "bn_g")) v = atoi(v) ? "yes" : "no";
        else if (!strcmp(key, "eval_every") && atoi(v) == 0) v = "never";
        else if (!strcmp(key, "augment")) augment_format((unsigned)atoi(v), buf, sizeof buf), v = buf;
        else if (!strncmp(key, "lr_", 3) || !strcmp(key, "clip")) snprintf(buf, sizeof buf, "%g", atof(v)), v = buf;
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, cJSON_CreateString(config_rows[i][0]));
        cJSON_AddItemToArray(row, cJSON_CreateString(v));
        cJSON_AddItemToArray(cfg, row);
    }
}

static int is_grid(const char *name) {
    const size_t n = strlen(name);
    return !strncmp(name, "fake_samples_", 13) && n > 17 && !strcmp(name + n - 4, ".png");
}

// The grids over time, by file name (the page sits beside them), and eval's verdicts.
static void add_images(cJSON *page, const char *dir) {
    size_t n = 0;
    char **files = fk_list_dir(dir, is_grid, &n);
    cJSON *grids = cJSON_AddArrayToObject(page, "grids");
    for (size_t i = 0; files && i < n; i++) {
        const char *name = strrchr(files[i], '/') + 1;
        cJSON *g = cJSON_CreateObject();
        cJSON_AddNumberToObject(g, "iter", atof(name + 13));
        cJSON_AddStringToObject(g, "src", name);
        cJSON_AddItemToArray(grids, g);
        free(files[i]);
    }
    free(files);
    char *real = fk_join(dir, "real_samples.png"), *ev = fk_join(dir, "eval.json"), *txt = NULL;
    if (access(real, R_OK) == 0) cJSON_AddStringToObject(page, "real", "real_samples.png");
    size_t len;
    cJSON *e = access(ev, R_OK) == 0 && fk_read_file(ev, &txt, &len) == 0 ? cJSON_Parse(txt) : NULL;
    if (e) {
        char *sheet = fk_join(dir, "nearest.png");
        if (access(sheet, R_OK) == 0) cJSON_AddStringToObject(e, "sheet_file", "nearest.png");
        free(sheet);
        cJSON_AddItemToObject(page, "eval", e);
    }
    free(real), free(ev), free(txt);
}

// ---------------------------------------------------------------------------
// the page

// the page's style sheet and script, in their own files beside this one
FK_EMBED(report_style, "src/train/report_page.css");
FK_EMBED(report_script, "src/train/report_page.js");

static const char *const status_words[] = {"training", "finished", "stopped", "diverged", "failed"};

// The JSON as a script literal: "<" escaped, so no "</script>" can end it early.
static void put_json(FILE *f, const char *json) {
    for (const char *p = json; *p; p++)
        if (*p == '<') fputs("\\u003c", f);
        else fputc(*p, f);
}

static void html_escaped(FILE *f, const char *s) {
    for (; *s; s++)
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
}

// The page, built in memory and written whole by fk_write_file.
static int write_page(const char *path, const char *title, ReportStatus st, const char *json) {
    char *page = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&page, &n);
    FK_CHECK(f != NULL, "out of memory");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>fakeit: ", f);
    html_escaped(f, title);
    fprintf(f, " (%s)</title>\n<style>%s</style>\n</head>\n<body data-status=\"%s\">\n", status_words[st],
            report_style, status_words[st]);
    fputs("<noscript>This report draws its charts with JavaScript.</noscript>\n", f);
    fputs("<script id=\"run-data\" type=\"application/json\">", f);
    put_json(f, json);
    fprintf(f, "</script>\n<script>%s</script>\n</body>\n</html>\n", report_script);
    FK_CHECK(fclose(f) == 0, "out of memory");
    const int rc = fk_write_file(path, page, n);
    free(page);
    return rc;
}

int report_write(const char *run_dir, ReportStatus status, const char *meta_json) {
    char *own = NULL;
    if (!meta_json && !(meta_json = own = runstate_metadata(run_dir))) return -1;
    cJSON *meta = cJSON_Parse(meta_json), *page = cJSON_CreateObject();
    free(own);
    char *mpath = fk_join(run_dir, "metrics.csv");
    Metrics m;
    if (metrics_read(mpath, &m) != 0) memset(&m, 0, sizeof m);
    const char *slash = strrchr(run_dir, '/');
    const char *name = slash && slash[1] ? slash + 1 : run_dir;
    char when[64];
    const time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    cJSON_AddStringToObject(page, "run", name);
    cJSON_AddStringToObject(page, "run_dir", run_dir);
    cJSON_AddStringToObject(page, "status", status_words[status]);
    cJSON_AddStringToObject(page, "updated", when);
    cJSON_AddStringToObject(page, "version", FAKEIT_VERSION);
    cJSON_AddNumberToObject(page, "refresh_s", 20);
    add_progress(page, &m, meta);
    add_config(page, meta);
    add_series(page, &m);
    add_images(page, run_dir);
    char *json = cJSON_PrintUnformatted(page), *path = fk_join(run_dir, "report.html");
    const int rc = write_page(path, name, status, json);
    free(json), free(path), free(mpath);
    metrics_free(&m);
    cJSON_Delete(page), cJSON_Delete(meta);
    return rc;
}

// ---------------------------------------------------------------------------
// fakeit report RUN

// 1 when another process holds RUN/.lock (a train running on it).
static int run_busy(const char *dir) {
    char *lock = fk_join(dir, ".lock");
    const int fd = open(lock, O_RDONLY | O_CLOEXEC);
    int busy = 0;
    if (fd >= 0) {
        busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(fd);
    }
    free(lock);
    return busy;
}

int report_run(const char *dir) {
    char *meta_json = runstate_metadata(dir);
    if (!meta_json) {
        fk_error("%s: not a run folder with a checkpoint (fakeit train writes one at its first save)", dir);
        return 1;
    }
    cJSON *meta = cJSON_Parse(meta_json);
    const double it = meta_num(meta, "gen_iter"), ti = meta_num(meta, "target_iters");
    const double ep = meta_num(meta, "epoch"), te = meta_num(meta, "target_epochs");
    cJSON_Delete(meta);
    const ReportStatus st = run_busy(dir)                                     ? REPORT_TRAINING
                            : (ti > 0 && it >= ti) || (ti <= 0 && te > 0 && ep >= te) ? REPORT_FINISHED
                                                                                    : REPORT_STOPPED;
    const int rc = report_write(dir, st, meta_json) ? 1 : 0;
    free(meta_json);
    if (!rc) printf("wrote %s/report.html (%s at iteration %.0f)\n", dir, status_words[st], it);
    return rc;
}
