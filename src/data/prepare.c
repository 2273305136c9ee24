// prepare.c: folders of images and IDX files -> one packed data set.
#include "data/prepare.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "data/dataset.h"
#include "draw/sheet.h"
#include "util/util.h"

const char *const prep_reason_names[PR_NREASONS] = {
    "kept", "background not white", "unreadable", "too large", "too small", "duplicate",
};

void prepare_defaults(PrepareOpts *o) {
    *o = (PrepareOpts){
        .size = 64, .fit = FIT_PAD, .white_only = 1, .channels = 0, .white_level = 230,
        .white_fraction = 0.9, .max_pixels = 100e6, .min_side = 16, .sheet_max = 256,
    };
}

void prepare_result_free(PrepareResult *res) {
    for (int i = 0; i < res->seen; i++) free(res->paths[i]);
    free(res->paths);
    free(res->outcome);
    memset(res, 0, sizeof *res);
}

// ---------------------------------------------------------------------------
// finding the inputs

typedef struct {
    char **v;
    int n, cap;
} StrList;

static void sl_push(StrList *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, (size_t)l->cap * sizeof(char *));
        FK_CHECK(l->v != NULL, "out of memory");
    }
    l->v[l->n] = fk_malloc(strlen(s) + 1);
    strcpy(l->v[l->n++], s);
}

static void sl_free(StrList *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int has_idx_name(const char *name) { return ends_with(name, "-ubyte") || ends_with(name, "-ubyte.gz"); }

// 1 when the file (gzipped or not) starts with the IDX magic for unsigned bytes.
static int sniff_idx(const char *path) {
    gzFile f = gzopen(path, "rb");
    if (!f) return 0;
    unsigned char m[4];
    int ok = gzread(f, m, 4) == 4 && m[0] == 0 && m[1] == 0 && m[2] == 0x08 && m[3] >= 1 && m[3] <= 4;
    gzclose(f);
    return ok;
}

typedef struct {
    dev_t dev;
    ino_t ino;
} DirId;

// Recursive walk; hidden entries are skipped, each folder is visited once
// (symbolic-link loops are cut).
static void walk(const char *dir, StrList *images, StrList *idx, int *ignored, DirId **seen, int *n_seen) {
    struct stat st;
    if (stat(dir, &st) != 0) return;
    for (int i = 0; i < *n_seen; i++)
        if ((*seen)[i].dev == st.st_dev && (*seen)[i].ino == st.st_ino) return;
    *seen = realloc(*seen, (size_t)(*n_seen + 1) * sizeof(DirId));
    FK_CHECK(*seen != NULL, "out of memory");
    (*seen)[(*n_seen)++] = (DirId){st.st_dev, st.st_ino};
    DIR *d = opendir(dir);
    if (!d) {
        fk_error("%s: cannot list this folder: %s (skipped)", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = fk_malloc(len);
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat target;
        int alive = stat(path, &target) == 0;
        if (alive && S_ISDIR(target.st_mode))
            walk(path, images, idx, ignored, seen, n_seen);
        else if (img_is_image_name(e->d_name))
            sl_push(images, path);  // broken links and non-files are reported as unreadable
        else if (alive && S_ISREG(target.st_mode) && has_idx_name(e->d_name))
            sl_push(idx, path);
        else
            (*ignored)++;
        free(path);
    }
    closedir(d);
}

// ---------------------------------------------------------------------------
// one image: white-background rule, padding, channels

typedef struct {
    PrepReason reason;
    char why[200];
    uint8_t *pix;   // (C, size, size), NULL when never decoded
    uint64_t hash;
} Item;

static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

// Fraction of white pixels in the border ring of an (h, w, 3) image, and the
// ring's mean colour.
static double border_white(const uint8_t *rgb, int w, int h, int level, double mean[3]) {
    const int ring = (w < h ? w : h) / 32 > 1 ? (w < h ? w : h) / 32 : 1;
    long white = 0, total = 0;
    double sum[3] = {0, 0, 0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (y >= ring && y < h - ring && x >= ring && x < w - ring) continue;
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            white += p[0] >= level && p[1] >= level && p[2] >= level;
            for (int c = 0; c < 3; c++) sum[c] += p[c];
            total++;
        }
    for (int c = 0; c < 3; c++) mean[c] = sum[c] / (double)total;
    return (double)white / (double)total;
}

// Judges and places a decoded (h, w, 3) image centred on a size x size
// canvas of the background colour, as C planar channels.
static void finish_item(Item *it, const uint8_t *rgb, int w, int h, int size, int C, int white_only,
                        int level, double fraction) {
    double mean[3];
    const double frac = border_white(rgb, w, h, level, mean);
    it->reason = white_only && frac < fraction ? PR_NOT_WHITE : PR_KEPT;
    if (it->reason == PR_NOT_WHITE)
        snprintf(it->why, sizeof it->why, "%.0f%% of the border is white (needs %.0f%%)", 100 * frac, 100 * fraction);
    uint8_t pad[3];
    for (int c = 0; c < 3; c++) pad[c] = white_only ? 255 : (uint8_t)(mean[c] + 0.5);
    const size_t plane = (size_t)size * size;
    it->pix = fk_malloc((size_t)C * plane);
    const int x0 = (size - w) / 2, y0 = (size - h) / 2;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            const int sx = x - x0, sy = y - y0;
            const uint8_t *p = sx >= 0 && sx < w && sy >= 0 && sy < h ? rgb + ((size_t)sy * w + sx) * 3 : pad;
            const size_t o = (size_t)y * size + x;
            if (C == 3)
                for (int c = 0; c < 3; c++) it->pix[c * plane + o] = p[c];
            else
                it->pix[o] = (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);  // BT.601 luma
        }
    it->hash = fnv1a(it->pix, (size_t)C * plane);
}

static void process_file(Item *it, const char *path, const PrepareOpts *o, int C) {
    Thumb t;
    ImgStatus st = img_thumbnail(path, o->size, o->fit, o->max_pixels, o->min_side, &t, it->why, sizeof it->why);
    if (st != IMG_OK) {
        it->reason = st == IMG_TOO_LARGE ? PR_TOO_LARGE : st == IMG_TOO_SMALL ? PR_TOO_SMALL : PR_UNREADABLE;
        return;
    }
    finish_item(it, t.rgb, t.w, t.h, o->size, C, o->white_only, o->white_level, o->white_fraction);
    thumb_free(&t);
}

// ---------------------------------------------------------------------------
// IDX files (MNIST-style, gzipped or not): unsigned bytes, N x rows x cols

int idx_load(const char *path, Idx *idx) {
    memset(idx, 0, sizeof *idx);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fk_error("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    unsigned char h[16];
    const char *err = NULL;
    if (gzread(f, h, 4) != 4 || h[0] || h[1] || h[2] != 0x08) err = "is not an IDX file of unsigned bytes";
    else if (h[3] != 3) err = "is an IDX file but not of images (needs 3 dimensions: count, rows, columns)";
    else if (gzread(f, h + 4, 12) != 12) err = "is truncated (header)";
    if (!err) {
        uint32_t d[3];
        for (int i = 0; i < 3; i++)
            d[i] = (uint32_t)h[4 + 4 * i] << 24 | (uint32_t)h[5 + 4 * i] << 16 | (uint32_t)h[6 + 4 * i] << 8 | h[7 + 4 * i];
        if (d[0] == 0 || d[1] == 0 || d[2] == 0 || d[1] > 4096 || d[2] > 4096 || d[0] > (1u << 26) ||
            (double)d[0] * d[1] * d[2] > 4e9)
            err = "declares implausible dimensions";
        else {
            idx->n = (int)d[0], idx->rows = (int)d[1], idx->cols = (int)d[2];
            // the buffer grows with the pixels that really arrive: a 16-byte
            // header declaring 4 GB must not make us allocate 4 GB
            const size_t bytes = (size_t)d[0] * d[1] * d[2];
            size_t got = 0, cap = bytes < (1u << 20) ? bytes : (1u << 20);
            idx->data = fk_malloc(cap);
            while (got < bytes) {
                if (got == cap) {
                    cap = 2 * cap < bytes ? 2 * cap : bytes;
                    idx->data = realloc(idx->data, cap);
                    FK_CHECK(idx->data != NULL, "out of memory reading %zu bytes", cap);
                }
                const size_t room = cap - got;
                int r = gzread(f, idx->data + got, room > (1u << 30) ? (1u << 30) : (unsigned)room);
                if (r <= 0) break;
                got += (size_t)r;
            }
            if (got != bytes) err = "is truncated (fewer pixels than its header declares)";
        }
    }
    gzclose(f);
    if (err) {
        fk_error("%s: %s", path, err);
        free(idx->data);
        idx->data = NULL;
        return -1;
    }
    return 0;
}

// Record i of an IDX file -> item: polarity, padding, resizing, as RGB first.
static void process_idx(Item *it, const Idx *idx, int i, const PrepareOpts *o, int C, int white_only) {
    const int pad = o->idx_pad > idx->rows && o->idx_pad > idx->cols ? o->idx_pad : 0;
    const int ph = pad ? pad : idx->rows, pw = pad ? pad : idx->cols;
    uint8_t *grey = fk_malloc((size_t)ph * pw);
    const uint8_t *src = idx->data + (size_t)i * idx->rows * idx->cols;
    const int y0 = (ph - idx->rows) / 2, x0 = (pw - idx->cols) / 2;
    for (int y = 0; y < ph; y++)
        for (int x = 0; x < pw; x++) {
            const int sy = y - y0, sx = x - x0;
            // padding is the background: black, or white once inverted
            uint8_t v = sy >= 0 && sy < idx->rows && sx >= 0 && sx < idx->cols ? src[(size_t)sy * idx->cols + sx] : 0;
            grey[(size_t)y * pw + x] = o->idx_invert ? (uint8_t)(255 - v) : v;
        }
    // fit into size x size keeping the aspect ratio
    int w = pw, h = ph;
    uint8_t *fit = grey;
    if (pw != o->size || ph != o->size) {
        const double k = (double)o->size / (pw > ph ? pw : ph);
        w = (int)(pw * k + 0.5), h = (int)(ph * k + 0.5);
        w = w < 1 ? 1 : w > o->size ? o->size : w;
        h = h < 1 ? 1 : h > o->size ? o->size : h;
        fit = fk_malloc((size_t)w * h);
        if (img_resize(grey, pw, ph, 1, fit, w, h) != 0) {
            it->reason = PR_UNREADABLE;
            snprintf(it->why, sizeof it->why, "resizing failed");
            free(fit), free(grey);
            return;
        }
    }
    uint8_t *rgb = fk_malloc((size_t)w * h * 3);
    for (size_t p = 0; p < (size_t)w * h; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = fit[p];
    finish_item(it, rgb, w, h, o->size, C, white_only, o->white_level, o->white_fraction);
    free(rgb);
    if (fit != grey) free(fit);
    free(grey);
}

// ---------------------------------------------------------------------------
// the run

typedef struct {
    const PrepareOpts *o;
    DsWriter w;
    uint64_t *hashes;  // open addressing, 0 = empty
    size_t hash_cap, hash_n;
    Sheet acc, rej;
    PrepareResult *res;
    int printed;
} Run;

// 1 if h was already present; inserts it otherwise.
static int seen_before(Run *r, uint64_t h) {
    if (h == 0) h = 1;
    if (2 * (r->hash_n + 1) > r->hash_cap) {
        size_t cap = r->hash_cap ? 2 * r->hash_cap : 4096;
        uint64_t *t = fk_calloc(cap, sizeof(uint64_t));
        for (size_t i = 0; i < r->hash_cap; i++)
            if (r->hashes[i]) {
                size_t j = r->hashes[i] & (cap - 1);
                while (t[j]) j = (j + 1) & (cap - 1);
                t[j] = r->hashes[i];
            }
        free(r->hashes);
        r->hashes = t, r->hash_cap = cap;
    }
    size_t j = h & (r->hash_cap - 1);
    while (r->hashes[j]) {
        if (r->hashes[j] == h) return 1;
        j = (j + 1) & (r->hash_cap - 1);
    }
    r->hashes[j] = h;
    r->hash_n++;
    return 0;
}

// Sequential part for one item, in input order: duplicates, writing,
// contact sheets, reporting. Returns -1 when writing failed.
static int commit(Run *r, Item *it, const char *source) {
    if (it->reason == PR_KEPT && seen_before(r, it->hash)) {
        it->reason = PR_DUPLICATE;
        snprintf(it->why, sizeof it->why, "same pixels as an earlier image");
    }
    int rc = 0;
    if (it->reason == PR_KEPT) {
        rc = ds_writer_add(&r->w, it->pix, source);
        sheet_add(&r->acc, it->pix, NULL);
    } else {
        static const char *const caption[PR_NREASONS] = {"", "not white", "unreadable", "too large", "too small", "duplicate"};
        sheet_add(&r->rej, it->pix, caption[it->reason]);
        const int loud = it->reason == PR_UNREADABLE || it->reason == PR_TOO_LARGE;
        if (r->o->quiet)
            ;
        else if (r->o->verbose || (loud && r->printed < 20))
            fprintf(stderr, "fakeit: skipped %s: %s: %s\n", source, prep_reason_names[it->reason], it->why);
        else if (loud && r->printed == 20)
            fprintf(stderr, "fakeit: (more skipped files not listed; -v lists every one)\n");
        r->printed += loud;
    }
    PrepareResult *res = r->res;
    res->counts[it->reason]++;
    if ((res->seen & (res->seen - 1)) == 0) {  // capacity doubles at powers of two
        const size_t cap = res->seen ? 2 * (size_t)res->seen : 1;
        res->paths = realloc(res->paths, cap * sizeof(char *));
        res->outcome = realloc(res->outcome, cap * sizeof(PrepReason));
        FK_CHECK(res->paths && res->outcome, "out of memory");
    }
    res->paths[res->seen] = fk_malloc(strlen(source) + 1);
    strcpy(res->paths[res->seen], source);
    res->outcome[res->seen++] = it->reason;
    free(it->pix);
    it->pix = NULL;
    return rc;
}

enum { CHUNK = 512 };

int prepare_run(const PrepareOpts *o, char *const *inputs, int n_inputs, PrepareResult *res_out) {
    const double t0 = fk_seconds();
    PrepareResult local;
    PrepareResult *res = res_out ? res_out : &local;
    memset(res, 0, sizeof *res);
    StrList images = {0}, idx = {0};
    DirId *seen = NULL;
    int n_seen = 0, rc = 0;
    for (int i = 0; i < n_inputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            fk_error("%s: no such file or folder (check the path)", inputs[i]);
            rc = 2;
        } else if (S_ISDIR(st.st_mode)) {
            walk(inputs[i], &images, &idx, &res->ignored, &seen, &n_seen);
        } else if (S_ISREG(st.st_mode) && sniff_idx(inputs[i])) {  // never open a FIFO to sniff it
            sl_push(&idx, inputs[i]);
        } else {
            sl_push(&images, inputs[i]);
        }
    }
    free(seen);
    if (rc) {
        sl_free(&images), sl_free(&idx);
        return rc;
    }
    if (images.n > 1) qsort(images.v, (size_t)images.n, sizeof(char *), cmp_str);
    const int C = o->channels ? o->channels : images.n == 0 && idx.n > 0 ? 1 : 3;
    const int idx_white = o->white_only_set ? o->white_only : 0;  // IDX sets are kept whole unless asked
    img_init();

    Run r = {.o = o, .res = res};
    if (fk_mkparents(o->out) != 0 || ds_writer_open(&r.w, o->out, (uint32_t)o->size, (uint32_t)C) != 0) {
        sl_free(&images), sl_free(&idx);
        return 2;
    }
    sheet_init(&r.acc, o->size, C, o->sheet_max);
    sheet_init(&r.rej, o->size, C, o->sheet_max);
    const int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    Item *items = fk_calloc(CHUNK, sizeof(Item));
    // images: decode a chunk in parallel, then commit it in order
    for (int base = 0; base < images.n && !rc; base += CHUNK) {
        const int m = images.n - base < CHUNK ? images.n - base : CHUNK;
        memset(items, 0, (size_t)m * sizeof(Item));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (int i = 0; i < m; i++) process_file(&items[i], images.v[base + i], o, C);
        for (int i = 0; i < m; i++)
            if (!rc && commit(&r, &items[i], images.v[base + i]) != 0) rc = 1;
        for (int i = 0; i < m; i++) free(items[i].pix);
    }
    // IDX files, record by record
    for (int f = 0; f < idx.n && !rc; f++) {
        Idx d;
        if (idx_load(idx.v[f], &d) != 0) {
            rc = 1;
            break;
        }
        for (int base = 0; base < d.n && !rc; base += CHUNK) {
            const int m = d.n - base < CHUNK ? d.n - base : CHUNK;
            memset(items, 0, (size_t)m * sizeof(Item));
#pragma omp parallel for schedule(static) num_threads(threads)
            for (int i = 0; i < m; i++) process_idx(&items[i], &d, base + i, o, C, idx_white);
            for (int i = 0; i < m && !rc; i++) {
                char src[4200];
                snprintf(src, sizeof src, "%s#%d", idx.v[f], base + i);
                if (commit(&r, &items[i], src) != 0) rc = 1;
            }
            for (int i = 0; i < m; i++) free(items[i].pix);
        }
        free(d.data);
    }
    free(items);
    free(r.hashes);
    const int kept = res->counts[PR_KEPT];
    if (!rc && kept == 0) {
        fk_error("%s: no image was kept out of %d (see the reasons above; --background any keeps every readable image)",
                 o->out, res->seen);
        rc = 1;
    }
    if (rc)
        ds_writer_abort(&r.w);
    else if (ds_writer_finish(&r.w) != 0)
        rc = 1;
    if (!rc) {
        char *acc = fk_beside(o->out, "accepted.png"), *rej = fk_beside(o->out, "rejected.png"), title[256];
        snprintf(title, sizeof title, "accepted: %d of %d%s", kept, res->seen, kept > r.acc.n ? " (first ones shown)" : "");
        int sheet_rc = sheet_write(&r.acc, acc, title);
        snprintf(title, sizeof title, "rejected: %d of %d%s", res->seen - kept, res->seen,
                 res->seen - kept > r.rej.n ? " (first ones shown)" : "");
        sheet_rc |= sheet_write(&r.rej, rej, title);
        const double mb = (double)kept * C * o->size * o->size / 1e6;
        if (!o->quiet) {
            printf("prepare: %d images", res->seen);
            if (res->ignored) printf(" (%d other files ignored)", res->ignored);
            printf(" in %.1f s on %d threads\n", fk_seconds() - t0, threads);
            for (int k = 0; k < PR_NREASONS; k++) printf("  %-22s %d\n", prep_reason_names[k], res->counts[k]);
            printf("wrote %s: %d images, %dx%d, %d channel%s, %.1f MB\n", o->out, kept, o->size, o->size, C,
                   C > 1 ? "s" : "", mb);
            if (!sheet_rc) printf("contact sheets: %s %s\n", acc, rej);
        }
        free(acc), free(rej);
    }
    sheet_free(&r.acc);
    sheet_free(&r.rej);
    sl_free(&images), sl_free(&idx);
    if (!res_out) prepare_result_free(&local);
    return rc;
}
