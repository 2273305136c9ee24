// measure.c: nearest neighbours, downsampling, diversity, random subsets, SWD.
#include "eval/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "util/util.h"

void eval_nearest(uint32_t *idx, double *dist, const uint8_t *q, size_t nq, const uint8_t *ref, size_t nr, size_t D,
                  const uint32_t *skip_same) {
    const size_t chunk = 65536;  // 65536 * 255^2 fits in 32 bits
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < nq; i++) {
        const uint8_t *a = q + i * D;
        uint64_t best = UINT64_MAX;
        uint32_t bi = 0;
        for (size_t j = 0; j < nr; j++) {
            if (skip_same && skip_same[i] == j) continue;
            const uint8_t *b = ref + j * D;
            uint64_t s = 0;
            for (size_t k0 = 0; k0 < D && s < best; k0 += chunk) {
                const size_t k1 = k0 + chunk < D ? k0 + chunk : D;
                uint32_t part = 0;
#pragma omp simd reduction(+ : part)
                for (size_t k = k0; k < k1; k++) {
                    const int d = (int)a[k] - (int)b[k];
                    part += (uint32_t)(d * d);
                }
                s += part;
            }
            if (s < best) best = s, bi = (uint32_t)j;
        }
        idx[i] = bi;
        dist[i] = sqrt((double)best);
    }
}

void eval_downsample(uint8_t *out, const uint8_t *in, size_t n, int C, int S, int f) {
    const int s = S / f;
    for (size_t p = 0; p < n * C; p++)
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                unsigned sum = 0;
                for (int a = 0; a < f; a++)
                    for (int b = 0; b < f; b++) sum += in[p * S * S + (size_t)(y * f + a) * S + x * f + b];
                out[p * s * s + (size_t)y * s + x] = (uint8_t)((sum + (unsigned)(f * f) / 2) / (unsigned)(f * f));
            }
}

double eval_mean_pair_distance(const uint8_t *x, size_t n, size_t D, int pairs, uint64_t seed) {
    if (n < 2) return 0.0;
    Rng r;
    rng_seed(&r, seed);
    double total = 0.0;
    for (int p = 0; p < pairs; p++) {
        const size_t i = rng_u64(&r) % n;
        size_t j = rng_u64(&r) % (n - 1);
        if (j >= i) j++;
        uint64_t s = 0;
        for (size_t k = 0; k < D; k++) {
            const int d = (int)x[i * D + k] - (int)x[j * D + k];
            s += (uint64_t)(d * d);
        }
        total += sqrt((double)s);
    }
    return total / pairs;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double eval_median(const double *v, size_t n) {
    double *c = fk_malloc((n ? n : 1) * sizeof(double));
    memcpy(c, v, n * sizeof(double));
    qsort(c, n, sizeof(double), cmp_double);
    double m = n ? (n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2])) : 0.0;
    free(c);
    return m;
}

void eval_perm(uint32_t *p, uint32_t n, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++) p[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        const uint32_t j = (uint32_t)(rng_u64(&r) % i), t = p[i - 1];
        p[i - 1] = p[j], p[j] = t;
    }
}

size_t eval_take(uint8_t *dst, const uint8_t *pix, size_t count, size_t img, size_t skip, size_t n, uint64_t seed) {
    uint32_t *order = fk_malloc((count ? count : 1) * sizeof(uint32_t));
    eval_perm(order, (uint32_t)count, seed);
    const size_t got = skip >= count ? 0 : count - skip < n ? count - skip : n;
    for (size_t i = 0; i < got; i++) memcpy(dst + i * img, pix + (size_t)order[skip + i] * img, img);
    free(order);
    return got;
}

void eval_swd(SwdResult *r, const uint8_t *ra, const uint8_t *fakes, int n, int C, int S, uint64_t seed) {
    swd_images(r, ra, fakes, n, C, S, seed + 1);
}


// ---------------------------------------------------------------------------
// colour

void eval_colour(EvalColour *c, const uint8_t *pix, size_t n, int S) {
    memset(c, 0, sizeof *c);
    c->n = n;
    const size_t HW = (size_t)S * S;
    double M = 0.0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = pix + i * 3 * HW, *g = r + HW, *b = g + HW;
        double hx = 0, hy = 0, wsum = 0, rg = 0, rg2 = 0, yb = 0, yb2 = 0;
        size_t coloured = 0;
        for (size_t p = 0; p < HW; p++) {
            const double R = r[p] / 255.0, G = g[p] / 255.0, B = b[p] / 255.0;
            const double mx = fmax(R, fmax(G, B)), mn = fmin(R, fmin(G, B)), sat = mx > 0 ? (mx - mn) / mx : 0;
            const double a = R - G, y = 0.5 * (R + G) - B;  // the opponent axes of the colourfulness M
            rg += a, rg2 += a * a, yb += y, yb2 += y * y;
            if (sat < 0.3 || mx < 0.25) continue;
            double h = mx == R ? (G - B) / (mx - mn) : mx == G ? 2.0 + (B - R) / (mx - mn) : 4.0 + (R - G) / (mx - mn);
            h *= M_PI / 3.0;  // radians
            hx += sat * cos(h), hy += sat * sin(h), wsum += sat;
            coloured++;
        }
        rg /= HW, yb /= HW;
        const double srg = sqrt(fmax(rg2 / HW - rg * rg, 0)), syb = sqrt(fmax(yb2 / HW - yb * yb, 0));
        M += 255.0 * (sqrt(srg * srg + syb * syb) + 0.3 * sqrt(rg * rg + yb * yb));
        if (coloured * 50 < HW || wsum <= 0) continue;
        double h = atan2(hy, hx);
        if (h < 0) h += 2 * M_PI;
        int bin = (int)(h / (2 * M_PI) * EVAL_HUE_BINS + 0.5) % EVAL_HUE_BINS;  // bins centred on 0, 30, ... degrees
        c->hist[bin] += 1;
        c->coloured++;
    }
    c->colourfulness = n ? M / n : 0.0;
    for (int k = 0; k < EVAL_HUE_BINS; k++) {
        if (c->coloured) c->hist[k] /= (double)c->coloured;
        if (c->hist[k] > 0) c->entropy -= c->hist[k] * log2(c->hist[k]);
    }
}

double eval_hue_distance(const EvalColour *a, const EvalColour *b) {
    double d = 0.0;
    for (int k = 0; k < EVAL_HUE_BINS; k++) d += fabs(a->hist[k] - b->hist[k]);
    return d / 2;
}
