// sheet.c: contact sheets drawn with cairo.
#include "draw/sheet.h"

#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void sheet_init(Sheet *s, int size, int channels, int cap) {
    memset(s, 0, sizeof *s);
    s->size = size, s->channels = channels, s->cap = cap;
    s->pix = fk_calloc((size_t)cap * channels * size * size, 1);
    s->captions = fk_calloc((size_t)cap, sizeof(char *));
}

void sheet_free(Sheet *s) {
    for (int i = 0; i < s->n; i++) free(s->captions[i]);
    free(s->captions);
    free(s->pix);
    memset(s, 0, sizeof *s);
}

void sheet_add(Sheet *s, const uint8_t *pixels, const char *caption) {
    if (s->n >= s->cap) return;
    const size_t tile = (size_t)s->channels * s->size * s->size;
    uint8_t *dst = s->pix + (size_t)s->n * tile;
    if (pixels)
        memcpy(dst, pixels, tile);
    else
        memset(dst, 160, tile);
    if (caption) {
        s->captions[s->n] = fk_malloc(strlen(caption) + 1);
        strcpy(s->captions[s->n], caption);
    }
    s->n++;
}

int sheet_write(const Sheet *s, const char *path, const char *title) {
    const int scale = s->size < 64 ? (64 + s->size - 1) / s->size : 1;  // small tiles drawn larger
    const int T = s->size * scale, gap = 4, cap_h = 12, title_h = 22;
    int has_caption = 0;
    for (int i = 0; i < s->n; i++) has_caption |= s->captions[i] != NULL;
    const int cell_h = T + gap + (has_caption ? cap_h : 0), cell_w = T + gap;
    const int cols = s->n < 16 ? (s->n > 0 ? s->n : 1) : 16, rows = (s->n + cols - 1) / cols;
    const int W = cols * cell_w + gap, H = title_h + (rows > 0 ? rows : 1) * cell_h + gap;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
    cairo_paint(cr);
    cairo_surface_flush(surf);
    uint8_t *data = cairo_image_surface_get_data(surf);
    const int stride = cairo_image_surface_get_stride(surf);
    const size_t plane = (size_t)s->size * s->size;
    for (int i = 0; i < s->n; i++) {
        const uint8_t *t = s->pix + (size_t)i * s->channels * plane;
        const int x0 = gap + (i % cols) * cell_w, y0 = title_h + (i / cols) * cell_h;
        for (int y = 0; y < T; y++) {
            uint32_t *row = (uint32_t *)(data + (size_t)(y0 + y) * stride) + x0;
            for (int x = 0; x < T; x++) {
                const size_t p = (size_t)(y / scale) * s->size + x / scale;
                uint32_t r = t[p], g = s->channels == 3 ? t[plane + p] : r, b = s->channels == 3 ? t[2 * plane + p] : r;
                row[x] = r << 16 | g << 8 | b;
            }
        }
    }
    cairo_surface_mark_dirty(surf);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, gap, 16);
    cairo_show_text(cr, title);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9);
    for (int i = 0; i < s->n; i++) {
        const int x0 = gap + (i % cols) * cell_w, y0 = title_h + (i / cols) * cell_h;
        if (s->captions[i]) {
            cairo_save(cr);
            cairo_rectangle(cr, x0, y0 + T, T, cap_h);  // clip the caption to its cell
            cairo_clip(cr);
            cairo_set_source_rgb(cr, 0.7, 0.0, 0.0);
            cairo_move_to(cr, x0 + 1, y0 + T + 10);
            cairo_show_text(cr, s->captions[i]);
            cairo_restore(cr);
        }
    }
    cairo_destroy(cr);
    cairo_status_t st = cairo_surface_write_to_png(surf, path);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        fk_error("%s: cannot write contact sheet: %s", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
