// swd.c: sliced Wasserstein distance on Laplacian-pyramid patches.
#include "eval/swd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "util/util.h"

#ifdef FAKEIT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

int swd_levels(int size) {
    int n = 0;
    for (int s = size; s >= 16 && n < SWD_MAX_LEVELS; s /= 2) n++;
    return n;
}

// ---------------------------------------------------------------------------
// pyramid

static const double binom[5] = {1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16};

// scipy.ndimage's 'mirror' boundary: d c b | a b c d | c b a
static inline int mirror(int i, int n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return i;
}

// blur, then every 2nd pixel: (S, S) -> (S/2, S/2), one plane
static void pyr_down(float *out, const float *in, int S) {
    const int h = S / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < h; x++) {
            double s = 0.0;
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++)
                    s += binom[a] * binom[b] * in[(size_t)mirror(2 * y + a - 2, S) * S + mirror(2 * x + b - 2, S)];
            out[(size_t)y * h + x] = (float)s;
        }
}

// zero insertion, blur with 4x the kernel, subtracted from dst: (h, h) -> (2h, 2h)
static void pyr_up_sub(float *dst, const float *low, int h) {
    const int S = 2 * h;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double s = 0.0;
            for (int a = 0; a < 5; a++) {
                const int yy = mirror(y + a - 2, S);
                if (yy & 1) continue;
                for (int b = 0; b < 5; b++) {
                    const int xx = mirror(x + b - 2, S);
                    if (xx & 1) continue;
                    s += 4.0 * binom[a] * binom[b] * low[(size_t)(yy / 2) * h + xx / 2];
                }
            }
            dst[(size_t)y * S + x] -= (float)s;
        }
}

void swd_pyramid(float *const *levels, const float *img, int n, int S, int nlevels) {
    FK_CHECK(nlevels >= 1 && S >> (nlevels - 1) >= 1, "bad pyramid: %d levels of %d px", nlevels, S);
    memcpy(levels[0], img, (size_t)n * 3 * S * S * sizeof(float));
    for (int k = 1; k < nlevels; k++) {
        const int s = S >> (k - 1), h = s / 2;
#pragma omp parallel for schedule(static)
        for (int p = 0; p < n * 3; p++) {
            pyr_down(levels[k] + (size_t)p * h * h, levels[k - 1] + (size_t)p * s * s, s);
            pyr_up_sub(levels[k - 1] + (size_t)p * s * s, levels[k] + (size_t)p * h * h, h);
        }
    }
}

// ---------------------------------------------------------------------------
// descriptors

void swd_descriptors(float *desc, const float *level, int n, int S, const int *xy, int per_image) {
    const int R = SWD_NHOOD / 2;
    const size_t m = (size_t)n * per_image;
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < m; p++) {
        const int x = xy[2 * p], y = xy[2 * p + 1];
        FK_CHECK(x >= R && x < S - R && y >= R && y < S - R, "patch centre (%d, %d) outside [3, %d)", x, y, S - R);
        const float *img = level + (p / per_image) * 3 * (size_t)S * S;
        float *d = desc + p * SWD_DESC;
        for (int c = 0; c < 3; c++)
            for (int dy = -R; dy <= R; dy++)
                for (int dx = -R; dx <= R; dx++)
                    *d++ = img[((size_t)c * S + y + dy) * S + x + dx];
    }
}

void swd_normalize(float *desc, size_t m) {
    const int per = SWD_NHOOD * SWD_NHOOD;
    for (int c = 0; c < 3; c++) {
        double s = 0.0, sq = 0.0;
        for (size_t p = 0; p < m; p++) {
            const float *d = desc + p * SWD_DESC + c * per;
            for (int i = 0; i < per; i++) s += d[i];
        }
        const double mean = s / ((double)m * per);
        for (size_t p = 0; p < m; p++) {
            const float *d = desc + p * SWD_DESC + c * per;
            for (int i = 0; i < per; i++) sq += (d[i] - mean) * (d[i] - mean);
        }
        const double sd = sqrt(sq / ((double)m * per));
        const float fm = (float)mean, fs = (float)(sd > 0 ? sd : 1.0);
#pragma omp parallel for schedule(static)
        for (size_t p = 0; p < m; p++) {
            float *d = desc + p * SWD_DESC + c * per;
            for (int i = 0; i < per; i++) d[i] = (d[i] - fm) / fs;
        }
    }
}

// ---------------------------------------------------------------------------
// projections, sorting, distance

#define TILE 64

// projT (ndirs, m) = (X (m, 147) dirs (147, ndirs))^T
static void project(float *projT, const float *X, size_t m, const float *dirs, int ndirs) {
#ifdef FAKEIT_HAVE_DNNL
    // row-major C (ndirs, m) = dirs^T (ndirs, 147) X^T (147, m)
    if (dnnl_sgemm('T', 'T', ndirs, (dnnl_dim_t)m, SWD_DESC, 1.0f, dirs, ndirs, X, SWD_DESC, 0.0f, projT,
                   (dnnl_dim_t)m) == dnnl_success)
        return;
#endif
    const size_t tiles = (m + TILE - 1) / TILE;
#pragma omp parallel
    {
        float acc[TILE][SWD_DIRS];
#pragma omp for schedule(static)
        for (size_t t = 0; t < tiles; t++) {
            const size_t i0 = t * TILE, rows = m - i0 < TILE ? m - i0 : TILE;
            for (size_t i = 0; i < rows; i++) {
                float *a = acc[i];
                for (int d = 0; d < ndirs; d++) a[d] = 0.0f;
                const float *x = X + (i0 + i) * SWD_DESC;
                for (int k = 0; k < SWD_DESC; k++) {
                    const float v = x[k];
                    const float *dk = dirs + (size_t)k * ndirs;
#pragma omp simd
                    for (int d = 0; d < ndirs; d++) a[d] += v * dk[d];
                }
            }
            for (int d = 0; d < ndirs; d++)
                for (size_t i = 0; i < rows; i++) projT[(size_t)d * m + i0 + i] = acc[i][d];
        }
    }
}

// float -> unsigned key with the same order
static inline uint32_t fkey(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

// LSD radix sort of n floats (3 passes of 11 bits) through tmp (n keys)
static void sort_floats(float *v, uint32_t *keys, uint32_t *tmp, size_t n) {
    for (size_t i = 0; i < n; i++) keys[i] = fkey(v[i]);
    uint32_t *src = keys, *dst = tmp;
    for (int pass = 0; pass < 3; pass++) {
        const int shift = 11 * pass;
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            const size_t c = count[b];
            count[b] = sum, sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint32_t *t = src;
        src = dst, dst = t;
    }
    for (size_t i = 0; i < n; i++) {  // back to floats
        uint32_t u = src[i];
        u = u & 0x80000000u ? u & 0x7fffffffu : ~u;
        memcpy(&v[i], &u, 4);
    }
}

double swd_distance(const float *A, const float *B, size_t m, const float *dirs, int repeats, int ndirs) {
    FK_CHECK(ndirs >= 1 && ndirs <= SWD_DIRS, "%d directions per repeat (at most %d)", ndirs, SWD_DIRS);
    float *pa = fk_malloc((size_t)ndirs * m * sizeof(float)), *pb = fk_malloc((size_t)ndirs * m * sizeof(float));
    double total = 0.0;
    double *per_dir = fk_malloc((size_t)ndirs * sizeof(double));
    for (int r = 0; r < repeats; r++) {
        const float *D = dirs + (size_t)r * SWD_DESC * ndirs;
        project(pa, A, m, D, ndirs);
        project(pb, B, m, D, ndirs);
#pragma omp parallel
        {
            uint32_t *keys = fk_malloc(2 * m * sizeof(uint32_t));
#pragma omp for schedule(dynamic)
            for (int d = 0; d < ndirs; d++) {
                float *a = pa + (size_t)d * m, *b = pb + (size_t)d * m;
                sort_floats(a, keys, keys + m, m);
                sort_floats(b, keys, keys + m, m);
                double s = 0.0;
                for (size_t i = 0; i < m; i++) s += fabs((double)a[i] - b[i]);
                per_dir[d] = s;
            }
            free(keys);
        }
        double s = 0.0;
        for (int d = 0; d < ndirs; d++) s += per_dir[d];
        total += s / ((double)m * ndirs);
    }
    free(pa), free(pb), free(per_dir);
    return total / repeats * 1000.0;
}

// ---------------------------------------------------------------------------

// uint8 (n, C, S, S) -> float (n, 3, S, S), grey replicated
static void to_rgb_float(float *dst, const uint8_t *src, int n, int C, int S) {
    const size_t plane = (size_t)S * S;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            const uint8_t *s = src + ((size_t)i * C + (C == 3 ? c : 0)) * plane;
            float *d = dst + ((size_t)i * 3 + c) * plane;
            for (size_t j = 0; j < plane; j++) d[j] = s[j];
        }
}

static float **make_pyramid(const uint8_t *imgs, int n, int C, int S, int nl) {
    float **lv = fk_malloc((size_t)nl * sizeof(float *));
    for (int k = 0; k < nl; k++) lv[k] = fk_malloc((size_t)n * 3 * (S >> k) * (S >> k) * sizeof(float));
    float *f = fk_malloc((size_t)n * 3 * S * S * sizeof(float));
    to_rgb_float(f, imgs, n, C, S);
    swd_pyramid(lv, f, n, S, nl);
    free(f);
    return lv;
}

void swd_images(SwdResult *r, const uint8_t *A, const uint8_t *B, int n, int C, int S, uint64_t seed) {
    FK_CHECK(C == 1 || C == 3, "SWD needs 1 or 3 channels, not %d", C);
    FK_CHECK(n > 0 && S >= 16, "SWD needs images of 16 px or more (%d images of %d px)", n, S);
    memset(r, 0, sizeof *r);
    r->nlevels = swd_levels(S);
    float **la = make_pyramid(A, n, C, S, r->nlevels), **lb = make_pyramid(B, n, C, S, r->nlevels);
    const size_t m = (size_t)n * SWD_PER_IMAGE;
    float *da = fk_malloc(m * SWD_DESC * sizeof(float)), *db = fk_malloc(m * SWD_DESC * sizeof(float));
    int *xy = fk_malloc(2 * m * sizeof(int));
    float *dirs = fk_malloc((size_t)SWD_REPEATS * SWD_DESC * SWD_DIRS * sizeof(float));
    Rng rng;
    rng_seed(&rng, seed);
    for (int k = 0; k < r->nlevels; k++) {
        const int s = S >> k;
        r->size[k] = s;
        for (int set = 0; set < 2; set++) {
            for (size_t p = 0; p < 2 * m; p++) xy[p] = 3 + (int)(rng_u64(&rng) % (uint64_t)(s - 6));
            swd_descriptors(set ? db : da, set ? lb[k] : la[k], n, s, xy, SWD_PER_IMAGE);
            swd_normalize(set ? db : da, m);
        }
        for (int rep = 0; rep < SWD_REPEATS; rep++) {
            float *D = dirs + (size_t)rep * SWD_DESC * SWD_DIRS;
            for (int d = 0; d < SWD_DIRS; d++) {
                double v[SWD_DESC], norm = 0.0;
                for (int c = 0; c < SWD_DESC; c++) v[c] = rng_normal(&rng), norm += v[c] * v[c];
                norm = sqrt(norm);
                for (int c = 0; c < SWD_DESC; c++) D[(size_t)c * SWD_DIRS + d] = (float)(v[c] / norm);
            }
        }
        r->dist[k] = swd_distance(da, db, m, dirs, SWD_REPEATS, SWD_DIRS);
        r->avg += r->dist[k] / r->nlevels;
    }
    for (int k = 0; k < r->nlevels; k++) free(la[k]), free(lb[k]);
    free(la), free(lb), free(da), free(db), free(xy), free(dirs);
}
