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

