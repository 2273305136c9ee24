// chart.c: the loss chart.
#include "draw/chart.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/files.h"
#include "util/util.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double median_at(const double *v, int n, int window, int i, double *buf) {
    const int half = window / 2;
    const int lo = i - half < 0 ? 0 : i - half, hi = i + half >= n ? n - 1 : i + half;
    const int m = hi - lo + 1;
    memcpy(buf, v + lo, (size_t)m * sizeof(double));
    qsort(buf, (size_t)m, sizeof(double), cmp_double);
    return m % 2 ? buf[m / 2] : 0.5 * (buf[m / 2 - 1] + buf[m / 2]);
}

void median_filter(const double *v, double *out, int n, int window) {
    double *buf = fk_malloc((size_t)(window + 1) * sizeof(double));
    for (int i = 0; i < n; i++) out[i] = median_at(v, n, window, i, buf);
    free(buf);
}

typedef struct {
    double x0, x1, y0, y1;  // data range
    double left, top, w, h; // plot area in pixels
} Frame;

static double px(const Frame *f, double x) { return f->left + (x - f->x0) / (f->x1 - f->x0) * f->w; }
static double py(const Frame *f, double y) { return f->top + f->h - (y - f->y0) / (f->y1 - f->y0) * f->h; }

static void series(cairo_t *cr, const Frame *f, const double *x, const double *y, int n, double r, double g,
                   double b, double a, double width) {
    cairo_set_source_rgba(cr, r, g, b, a);
    cairo_set_line_width(cr, width);
    for (int i = 0; i < n; i++) (i ? cairo_line_to : cairo_move_to)(cr, px(f, x[i]), py(f, y[i]));
    cairo_stroke(cr);
}

// A round step for about 5 ticks over span.
static double tick_step(double span) {
    double s = pow(10, floor(log10(span / 5)));
    return span / s > 25 ? 5 * s : span / s > 10 ? 2 * s : s;
}

// A panel's background, grid, tick labels, frame and title.
static void axes(cairo_t *cr, const Frame *f, const char *title) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, f->left, f->top, f->w, f->h);
    cairo_fill(cr);
    cairo_set_font_size(cr, 11);
    cairo_set_line_width(cr, 1);
    const double ys = tick_step(f->y1 - f->y0), xs = tick_step(f->x1 - f->x0);
    char lab[64];
    for (double t = ceil(f->y0 / ys) * ys; t <= f->y1 + 1e-12; t += ys) {
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, f->left, py(f, t));
        cairo_line_to(cr, f->left + f->w, py(f, t));
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        snprintf(lab, sizeof lab, "%.3g", fabs(t) < ys * 1e-6 ? 0.0 : t);
        cairo_move_to(cr, f->left - 64, py(f, t) + 4);
        cairo_show_text(cr, lab);
    }
    for (double t = ceil(f->x0 / xs) * xs; t <= f->x1 + 1e-12; t += xs) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        snprintf(lab, sizeof lab, "%.0f", t);
        cairo_move_to(cr, px(f, t) - 8, f->top + f->h + 14);
        cairo_show_text(cr, lab);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 13);
    cairo_move_to(cr, f->left + 8, f->top + 16);
    cairo_show_text(cr, title);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_rectangle(cr, f->left, f->top, f->w, f->h);
    cairo_stroke(cr);
}

// One panel: a series (raw and smoothed) with its own axis.
static void panel(cairo_t *cr, const Frame *f, const double *x, const double *raw, const double *smooth, int n,
                  const char *title, double r, double g, double b) {
    axes(cr, f, title);
    series(cr, f, x, raw, n, r, g, b, 0.25, 1.0);
    series(cr, f, x, smooth, n, r, g, b, 1.0, 2.0);
}

static void hline(cairo_t *cr, const Frame *f, double y);

// Writes the surface as PNG and frees both; -1 after printing.
static int finish_png(cairo_t *cr, cairo_surface_t *s, const char *path) {
    cairo_destroy(cr);
    char *tmp = fk_tmp_path(path);  // whole or not at all: written aside, then renamed into place
    cairo_status_t st = cairo_surface_write_to_png(s, tmp);
    cairo_surface_destroy(s);
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) {
        fk_error("%s: cannot write the chart: %s", path, cairo_status_to_string(st));
        unlink(tmp);
        rc = -1;
    }
    rc = rc ? -1 : fk_commit(tmp, path);
    free(tmp);
    return rc;
}

static void range(const double *v, int n, double *lo, double *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
    if (!(*hi > *lo)) *lo -= 1e-3, *hi += 1e-3;
    const double m = 0.05 * (*hi - *lo);
    *lo -= m, *hi += m;
}

int chart_save(const char *path, const double *x, const double *w, const double *g, int n, const double *sx,
               const double *sw, int sn, double swd_real) {
    const int W = 900, H = sn > 0 ? 830 : 560;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    if (n > 0) {
        double *ws = fk_malloc((size_t)n * sizeof(double)), *gs = fk_malloc((size_t)n * sizeof(double));
        // the paper's window is 101 iterations; a short run gets a tenth of its length
        const int win = n >= 1010 ? 101 : (n / 10) | 1;
        median_filter(w, ws, n, win);
        median_filter(g, gs, n, win);
        Frame f = {.x0 = x[0], .x1 = x[n - 1] > x[0] ? x[n - 1] : x[0] + 1, .left = 70, .w = W - 90, .h = 220};
        range(w, n, &f.y0, &f.y1);
        f.top = 20;
        char title[96];
        snprintf(title, sizeof title, "Wasserstein estimate  -Loss_D  (median of %d)", win);
        panel(cr, &f, x, w, ws, n, title, 0.1, 0.35, 0.75);
        range(g, n, &f.y0, &f.y1);
        f.top = 290;
        snprintf(title, sizeof title, "Loss_G  (median of %d)", win);
        panel(cr, &f, x, g, gs, n, title, 0.8, 0.35, 0.1);
        if (sn > 0) {  // quality over time: SWD points and the floor
            double *all = fk_malloc((size_t)(sn + 1) * sizeof(double));
            memcpy(all, sw, (size_t)sn * sizeof(double));
            all[sn] = swd_real;
            range(all, sn + 1, &f.y0, &f.y1);
            free(all);
            f.top = 560;
            panel(cr, &f, sx, sw, sw, sn, "SWD x1000 vs held-out reals (lower is better; dashed: real vs real)", 0.1,
                  0.55, 0.25);
            for (int i = 0; i < sn; i++) {
                cairo_arc(cr, px(&f, sx[i]), py(&f, sw[i]), 3, 0, 2 * M_PI);
                cairo_fill(cr);
            }
            hline(cr, &f, swd_real);
        }
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_font_size(cr, 12);
        cairo_move_to(cr, W / 2.0 - 60, H - 6);
        cairo_show_text(cr, "generator iterations");
        free(ws), free(gs);
    }
    return finish_png(cr, s, path);
}

// A grey dashed segment.
static void dashed(cairo_t *cr, double x0, double y0, double x1, double y1) {
    const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void hline(cairo_t *cr, const Frame *f, double y) { dashed(cr, f->left, py(f, y), f->left + f->w, py(f, y)); }

int chart_curves(const char *path, const char *title, const char *xlabel, const ChartSeries *s, int k, double ref,
                 const char *ref_label) {
    const int W = 900, H = 500;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    double x0 = INFINITY, x1 = -INFINITY, y0 = isfinite(ref) ? ref : INFINITY, y1 = isfinite(ref) ? ref : -INFINITY;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < s[i].n; j++) {
            x0 = fmin(x0, s[i].x[j]), x1 = fmax(x1, s[i].x[j]);
            if (isfinite(s[i].y[j])) y0 = fmin(y0, s[i].y[j]), y1 = fmax(y1, s[i].y[j]);
        }
    if (!(x1 > x0)) x0 = 0, x1 = 1;
    if (!(y1 > y0)) y0 -= 1, y1 += 1;
    const double m = 0.05 * (y1 - y0);
    Frame f = {.x0 = x0, .x1 = x1, .y0 = y0 - m, .y1 = y1 + m, .left = 80, .top = 20, .w = W - 100, .h = H - 70};
    axes(cr, &f, title);
    if (isfinite(ref)) hline(cr, &f, ref);
    cairo_set_font_size(cr, 12);
    for (int i = 0; i < k; i++) {
        series(cr, &f, s[i].x, s[i].y, s[i].n, s[i].r, s[i].g, s[i].b, 1.0, 2.0);
        for (int j = 0; j < s[i].n; j++) {
            cairo_arc(cr, px(&f, s[i].x[j]), py(&f, s[i].y[j]), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        // legend, top right
        const double lx = f.left + f.w - 300, ly = f.top + 20 + 18 * i;
        cairo_set_source_rgb(cr, s[i].r, s[i].g, s[i].b);
        cairo_rectangle(cr, lx, ly - 8, 18, 4);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, lx + 26, ly - 2);
        cairo_show_text(cr, s[i].name);
    }
    if (isfinite(ref) && ref_label) {
        const double lx = f.left + f.w - 300, ly = f.top + 20 + 18 * k;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, lx + 26, ly - 2);
        cairo_show_text(cr, ref_label);
        dashed(cr, lx, ly - 6, lx + 18, ly - 6);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_font_size(cr, 12);
    cairo_move_to(cr, W / 2.0 - 40, H - 8);
    cairo_show_text(cr, xlabel);
    return finish_png(cr, surf, path);
}
