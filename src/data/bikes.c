// bikes.c: road bikes in side view, drawn with cairo.
//
// Geometry is built in units of the wheel radius with the rear axle at the
// origin (y grows downwards), then scaled and placed on the canvas. Angles
// and proportions follow real road frames: seat angle 72-75 degrees, head
// angle 71-74, chainstays about 1.2 wheel radii, bottom-bracket drop about 0.2.
#include "data/bikes.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/rng.h"
#include "util/util.h"

const char *const bike_background_names[4] = {"white", "colour", "gradient", "texture"};

typedef struct {
    double x, y;
} Pt;

typedef struct {
    double r, g, b;
} Rgb;

static double uni(Rng *r, double a, double b) { return a + (b - a) * rng_uniform(r); }
static Pt pt(double x, double y) { return (Pt){x, y}; }
static Pt add(Pt a, Pt b) { return pt(a.x + b.x, a.y + b.y); }
static Pt mul(Pt a, double k) { return pt(a.x * k, a.y * k); }
static Pt dir(double deg) { return pt(cos(deg * M_PI / 180), sin(deg * M_PI / 180)); }

static Rgb hsv(double h, double s, double v) {
    h = fmod(h, 1.0) * 6;
    int i = (int)h;
    double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i % 6) {
    case 0: return (Rgb){v, t, p};
    case 1: return (Rgb){q, v, p};
    case 2: return (Rgb){p, v, t};
    case 3: return (Rgb){p, q, v};
    case 4: return (Rgb){t, p, v};
    default: return (Rgb){v, p, q};
    }
}

// A colour that is never near-white: every channel stays under 0.8 for at least one.
static Rgb background_colour(Rng *r) { return hsv(rng_uniform(r), uni(r, 0.25, 0.95), uni(r, 0.25, 0.95)); }

static void set(cairo_t *cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

static void line(cairo_t *cr, Pt a, Pt b, double w) {
    cairo_set_line_width(cr, w);
    cairo_move_to(cr, a.x, a.y);
    cairo_line_to(cr, b.x, b.y);
    cairo_stroke(cr);
}

static void ring(cairo_t *cr, Pt c, double radius, double w) {
    cairo_set_line_width(cr, w);
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, radius, 0, 2 * M_PI);
    cairo_stroke(cr);
}

static void disc(cairo_t *cr, Pt c, double radius) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, radius, 0, 2 * M_PI);
    cairo_fill(cr);
}

// ---------------------------------------------------------------------------
// backgrounds

static void paint_background(cairo_t *cr, cairo_surface_t *surf, int S, BikeBackground kind, Rng *r) {
    if (kind == BG_WHITE) {
        double v = rng_uniform(r) < 0.7 ? 1.0 : uni(r, 0.96, 1.0);  // white or a faint off-white
        cairo_set_source_rgb(cr, v, v, uni(r, v - 0.02, v));
        cairo_paint(cr);
        return;
    }
    Rgb a = background_colour(r), b = background_colour(r);
    if (kind == BG_COLOUR) {
        set(cr, a);
        cairo_paint(cr);
        return;
    }
    if (kind == BG_GRADIENT) {
        double ang = uni(r, 0, 2 * M_PI);
        cairo_pattern_t *g = cairo_pattern_create_linear(S / 2.0 - cos(ang) * S / 2, S / 2.0 - sin(ang) * S / 2,
                                                         S / 2.0 + cos(ang) * S / 2, S / 2.0 + sin(ang) * S / 2);
        cairo_pattern_add_color_stop_rgb(g, 0, a.r, a.g, a.b);
        cairo_pattern_add_color_stop_rgb(g, 1, b.r, b.g, b.b);
        cairo_set_source(cr, g);
        cairo_paint(cr);
        cairo_pattern_destroy(g);
        return;
    }
    // texture: stripes, checks or blotches, then grain
    set(cr, a);
    cairo_paint(cr);
    set(cr, b);
    int style = (int)(rng_uniform(r) * 3);
    double cell = S * uni(r, 0.04, 0.12);
    if (style == 0) {
        cairo_save(cr);
        cairo_translate(cr, S / 2.0, S / 2.0);
        cairo_rotate(cr, uni(r, 0, M_PI));
        for (double x = -S; x < S; x += 2 * cell) cairo_rectangle(cr, x, -S, cell, 2 * S);
        cairo_fill(cr);
        cairo_restore(cr);
    } else if (style == 1) {
        for (int i = 0; i * cell < S; i++)
            for (int j = 0; j * cell < S; j++)
                if ((i + j) % 2) cairo_rectangle(cr, i * cell, j * cell, cell, cell);
        cairo_fill(cr);
    } else {
        for (int k = 0; k < 60; k++) {
            set(cr, rng_uniform(r) < 0.5 ? a : b);
            disc(cr, pt(uni(r, 0, S), uni(r, 0, S)), uni(r, 0.02, 0.12) * S);
        }
    }
    cairo_surface_flush(surf);
    uint8_t *d = cairo_image_surface_get_data(surf);
    const int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < S; y++) {
        uint32_t *row = (uint32_t *)(d + (size_t)y * stride);
        for (int x = 0; x < S; x++) {
            int n = (int)uni(r, -24, 24);
            uint32_t p = row[x], out = 0;
            for (int sh = 0; sh <= 16; sh += 8) {
                int v = (int)((p >> sh) & 255) + n;
                out |= (uint32_t)(v < 0 ? 0 : v > 255 ? 255 : v) << sh;
            }
            row[x] = out;
        }
    }
    cairo_surface_mark_dirty(surf);
}

// ---------------------------------------------------------------------------
// the bike

static void draw_wheel(cairo_t *cr, Pt c, double tyre_w, double rim_d, int spokes, double spoke_phase,
                       Rgb tyre, Rgb rim, Rgb spoke, int tan_wall) {
    const double inner = 1 - tyre_w - rim_d;
    set(cr, spoke);
    for (int i = 0; i < spokes; i++) {
        double a = spoke_phase + 2 * M_PI * i / spokes;
        line(cr, add(c, mul(pt(cos(a), sin(a)), 0.05)), add(c, mul(pt(cos(a + 0.12), sin(a + 0.12)), inner + 0.01)), 0.012);
    }
    set(cr, rim);
    ring(cr, c, 1 - tyre_w - rim_d / 2, rim_d);
    set(cr, tyre);
    ring(cr, c, 1 - tyre_w / 2, tyre_w);
    if (tan_wall) {
        cairo_set_source_rgb(cr, 0.78, 0.62, 0.42);
        ring(cr, c, 1 - tyre_w * 0.8, tyre_w * 0.3);
    }
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.57);
    disc(cr, c, 0.06);
}

typedef struct {
    double xmin, xmax, ymin, ymax;
} Box;

// Draws the bike in wheel-radius units; with cr == NULL only measures it.
static Box draw_bike(cairo_t *cr, Rng *r) {
    // geometry (all draws happen even when only measuring, so the stream of
    // random numbers is the same both times)
    const Pt ra = pt(0, 0);
    const double wb = uni(r, 2.75, 3.05), cs = uni(r, 1.18, 1.30), drop = uni(r, 0.16, 0.24);
    const Pt fa = pt(wb, 0), bb = pt(sqrt(cs * cs - drop * drop), drop);
    const double sa = uni(r, 72, 75), st_len = uni(r, 1.45, 1.8);
    const Pt st_up = mul(dir(180 + sa), 1);  // up and back along the seat tube
    const Pt st_top = add(bb, mul(st_up, st_len));
    const double ha = uni(r, 71, 74), fork_len = uni(r, 1.08, 1.18), rake = uni(r, 0.08, 0.15);
    const double ht_len = uni(r, 0.35, 0.65);
    const Pt ax_up = dir(180 + ha);                       // up and back along the steering axis
    const Pt fa_axis = add(fa, mul(dir(180 + ha - 90), rake));  // where the axis passes the axle height
    const Pt hb = add(fa_axis, mul(ax_up, fork_len)), ht_top = add(hb, mul(ax_up, ht_len));
    const double post_len = uni(r, 0.25, 0.6);
    const Pt post_top = add(st_top, mul(st_up, post_len));
    const double stem_len = uni(r, 0.25, 0.38), stem_ang = uni(r, -8, 12);
    const Pt spacer = add(ht_top, mul(ax_up, 0.08));
    const Pt stem_end = add(spacer, mul(dir(-stem_ang), stem_len));
    const double r_drop = uni(r, 0.17, 0.24), reach = uni(r, 0.08, 0.16), drop_back = uni(r, 0.08, 0.2);
    const double rc = uni(r, 0.26, 0.34), rg = uni(r, 0.09, 0.13), crank = uni(r, 0, 2 * M_PI);
    const double tw = uni(r, 0.055, 0.09), rim_d = uni(r, 0.04, 0.32), tube = uni(r, 0.06, 0.11);
    static const int spoke_counts[] = {16, 18, 20, 24, 28, 32};
    const int spokes = spoke_counts[(int)(rng_uniform(r) * 6)];
    const double phase_r = uni(r, 0, M_PI), phase_f = uni(r, 0, M_PI);
    Rgb frame = rng_uniform(r) < 0.15 ? hsv(0, 0, uni(r, 0.05, 0.2)) : hsv(rng_uniform(r), uni(r, 0.45, 1), uni(r, 0.25, 0.85));
    const double tg = uni(r, 0.06, 0.2);
    const Rgb tyre = {tg, tg, tg};
    const double rim_pick = rng_uniform(r);
    const Rgb rim = rim_pick < 0.5 ? (Rgb){0.08, 0.08, 0.09} : rim_pick < 0.8 ? (Rgb){0.72, 0.73, 0.75} : frame;
    const Rgb parts = rng_uniform(r) < 0.7 ? (Rgb){0.1, 0.1, 0.1} : (Rgb){0.6, 0.6, 0.62};
    const Rgb spoke = rng_uniform(r) < 0.6 ? (Rgb){0.25, 0.25, 0.27} : (Rgb){0.7, 0.7, 0.72};
    const int tan_wall = rng_uniform(r) < 0.2;
    const Pt saddle_c = add(post_top, pt(0.02, -0.04));

    Box box = {-1, wb + 1, fmin(saddle_c.y - 0.08, stem_end.y - 0.06), 1};
    box.xmax = fmax(box.xmax, stem_end.x + reach + r_drop + 0.05);
    if (!cr) return box;

    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    draw_wheel(cr, ra, tw, rim_d, spokes, phase_r, tyre, rim, spoke, tan_wall);
    draw_wheel(cr, fa, tw, rim_d, spokes, phase_f, tyre, rim, spoke, tan_wall);
    // chain: top and bottom runs between chainring and cog
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.32);
    line(cr, pt(bb.x, bb.y - rc), pt(ra.x, ra.y - rg), 0.025);
    line(cr, pt(bb.x, bb.y + rc), pt(ra.x, ra.y + rg), 0.025);
    ring(cr, ra, rg, 0.04);
    // frame: stays, then the main triangle, head tube and fork
    set(cr, frame);
    line(cr, bb, ra, tube * 0.65);
    line(cr, add(st_top, mul(st_up, -0.12)), ra, tube * 0.6);
    line(cr, bb, st_top, tube * 1.1);
    line(cr, add(st_top, mul(st_up, -0.07)), add(ht_top, mul(ax_up, -0.06)), tube);
    line(cr, bb, add(hb, mul(ax_up, 0.07)), tube * 1.25);
    line(cr, hb, ht_top, tube * 1.5);
    cairo_set_line_width(cr, tube * 0.9);
    cairo_move_to(cr, hb.x, hb.y);
    Pt c1 = add(hb, mul(ax_up, -0.6 * fork_len));
    cairo_curve_to(cr, c1.x, c1.y, fa.x - 0.05, fa.y - 0.3, fa.x, fa.y);
    cairo_stroke(cr);
    // seatpost and saddle (nose to the front)
    set(cr, parts);
    line(cr, st_top, post_top, tube * 0.6);
    cairo_set_source_rgb(cr, 0.07, 0.07, 0.07);
    cairo_move_to(cr, saddle_c.x - 0.28, saddle_c.y - 0.05);
    cairo_curve_to(cr, saddle_c.x - 0.05, saddle_c.y - 0.07, saddle_c.x + 0.15, saddle_c.y - 0.03, saddle_c.x + 0.3, saddle_c.y - 0.01);
    cairo_line_to(cr, saddle_c.x + 0.3, saddle_c.y + 0.015);
    cairo_curve_to(cr, saddle_c.x + 0.1, saddle_c.y + 0.02, saddle_c.x - 0.1, saddle_c.y + 0.05, saddle_c.x - 0.26, saddle_c.y + 0.035);
    cairo_close_path(cr);
    cairo_fill(cr);
    // stem and drop handlebar: forward, a hook down, the drop running back
    set(cr, parts);
    line(cr, ht_top, spacer, tube * 1.3);
    line(cr, spacer, stem_end, tube * 0.7);
    const Pt hook = pt(stem_end.x + reach, stem_end.y + r_drop);
    cairo_set_line_width(cr, 0.045);
    cairo_move_to(cr, stem_end.x, stem_end.y);
    cairo_line_to(cr, stem_end.x + reach, stem_end.y);
    cairo_arc(cr, hook.x, hook.y, r_drop, -M_PI / 2, M_PI / 2);
    cairo_line_to(cr, stem_end.x + reach - drop_back, stem_end.y + 2 * r_drop);
    cairo_stroke(cr);
    const Pt hood = add(hook, mul(dir(-40), r_drop));
    cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
    line(cr, hood, add(hood, pt(0.05, -0.07)), 0.06);
    // chainring, spider and crank with pedal
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.16);
    ring(cr, bb, rc, 0.05);
    ring(cr, bb, rc * 0.8, 0.02);
    for (int i = 0; i < 5; i++) line(cr, bb, add(bb, mul(dir(72.0 * i + crank * 57.3), rc * 0.8)), 0.025);
    set(cr, parts);
    const Pt pedal = add(bb, mul(pt(cos(crank), sin(crank)), 0.5));
    line(cr, bb, pedal, 0.05);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    line(cr, add(pedal, pt(-0.07, 0)), add(pedal, pt(0.07, 0)), 0.04);
    disc(cr, bb, 0.05);
    return box;
}

static cairo_surface_t *render_surface(uint64_t seed, int index, int S, BikeBackground *bg_out) {
    Rng r;
    rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + (uint64_t)index * 0xbf58476d1ce4e5b9ULL + 1);
    // about a quarter are distractors
    const double u = rng_uniform(&r);
    const BikeBackground bg = u < 0.75 ? BG_WHITE : u < 0.8333 ? BG_COLOUR : u < 0.9167 ? BG_GRADIENT : BG_TEXTURE;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    cairo_t *cr = cairo_create(surf);
    paint_background(cr, surf, S, bg, &r);
    // measure, then draw the same bike scaled and placed inside a margin
    Rng shape, measure;
    rng_seed(&shape, rng_u64(&r));
    measure = shape;
    const Box b = draw_bike(NULL, &measure);
    const double bw = b.xmax - b.xmin, bh = b.ymax - b.ymin, margin = 0.04 * S;
    double k = S * uni(&r, 0.72, 0.92) / bw;
    if (bh * k > S - 2 * margin) k = (S - 2 * margin) / bh;
    const double x0 = uni(&r, margin, S - margin - bw * k), y0 = uni(&r, margin, S - margin - bh * k);
    cairo_translate(cr, x0 - b.xmin * k, y0 - b.ymin * k);
    cairo_scale(cr, k, k);
    draw_bike(cr, &shape);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    *bg_out = bg;
    return surf;
}

BikeBackground bike_render(uint64_t seed, int index, int size, uint8_t *rgb) {
    BikeBackground bg;
    cairo_surface_t *surf = render_surface(seed, index, size, &bg);
    const uint8_t *d = cairo_image_surface_get_data(surf);
    const int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < size; y++) {
        const uint32_t *row = (const uint32_t *)(d + (size_t)y * stride);
        for (int x = 0; x < size; x++) {
            uint8_t *o = rgb + ((size_t)y * size + x) * 3;
            o[0] = (uint8_t)(row[x] >> 16), o[1] = (uint8_t)(row[x] >> 8), o[2] = (uint8_t)row[x];
        }
    }
    cairo_surface_destroy(surf);
    return bg;
}

int bikes_write(const char *dir, int n, int size, uint64_t seed) {
    if (fk_mkdirs(dir) != 0) return -1;
    BikeBackground *bgs = fk_calloc((size_t)n, sizeof *bgs);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        if (failed) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/bike_%05d.png", dir, i);
        cairo_surface_t *surf = render_surface(seed, i, size, &bgs[i]);
        cairo_status_t st = cairo_surface_write_to_png(surf, path);
        cairo_surface_destroy(surf);
        if (st != CAIRO_STATUS_SUCCESS) {
#pragma omp critical
            {
                if (!failed) fk_error("%s: cannot write: %s (disk full or not writable?)", path, cairo_status_to_string(st));
                failed = 1;
            }
        }
    }
    if (!failed) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bikes.csv", dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            fk_error("%s: cannot write: %s", path, strerror(errno));
            failed = 1;
        } else {
            fprintf(f, "file,background\n");
            for (int i = 0; i < n; i++) fprintf(f, "bike_%05d.png,%s\n", i, bike_background_names[bgs[i]]);
            if (fclose(f) != 0) fk_error("%s: write failed: %s", path, strerror(errno)), failed = 1;
        }
    }
    free(bgs);
    return failed ? -1 : 0;
}
