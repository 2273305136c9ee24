// test_eval.c: sliced Wasserstein distance and the measures of `fakeit eval`.
//
// - SWD against a NumPy transcription of the reference algorithm
//   (tests/swd_oracle.py -> tests/fixtures/swd.safetensors): the Laplacian
//   pyramid, the normalised descriptors at the oracle's patch centres, and the
//   distance along the oracle's directions, level by level;
// - swd_images: the same seed gives the same figure, a grey set equals the
//   same set with its channel replicated, and a set is nearer to another
//   draw of its own kind than to a different kind;
// - nearest neighbours are exact (checked against brute force in double)
//   and skip the query itself when asked; downsampling and byte conversion.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/measure.h"
#include "gan/generator.h"
#include "util/rng.h"
#include "nn/safetensors.h"
#include "eval/swd.h"
#include "util/util.h"
#include "testlib.h"

static StFile fx;

static const StTensor *fixture(const char *name) {
    const StTensor *t = st_find(&fx, name);
    FK_CHECK(t && t->dtype == ST_F32, "fixture has no F32 tensor '%s' (regenerate with make fixtures)", name);
    return t;
}

static void test_swd_oracle(void) {
    const StTensor *ta = fixture("A"), *tb = fixture("B");
    const int n = (int)ta->shape[0], S = (int)ta->shape[2];
    const int per_image = (int)(fixture("xy.A.0")->shape[0] / (size_t)n);
    const int repeats = (int)fixture("dirs.0")->shape[0], ndirs = (int)fixture("dirs.0")->shape[2];
    const int nl = swd_levels(S);
    tl_check(nl == 2, "swd: 32 px images have 2 levels (32, 16); got %d", nl);
    float *levels_a[SWD_MAX_LEVELS], *levels_b[SWD_MAX_LEVELS];
    for (int k = 0; k < nl; k++) {
        levels_a[k] = fk_malloc((size_t)n * 3 * (S >> k) * (S >> k) * sizeof(float));
        levels_b[k] = fk_malloc((size_t)n * 3 * (S >> k) * (S >> k) * sizeof(float));
    }
    swd_pyramid(levels_a, (const float *)ta->data, n, S, nl);
    swd_pyramid(levels_b, (const float *)tb->data, n, S, nl);
    float dist[SWD_MAX_LEVELS] = {0};
    for (int k = 0; k < nl; k++) {
        char name[64], label[96];
        const int s = S >> k;
        const size_t lv = (size_t)n * 3 * s * s, m = (size_t)n * per_image;
        snprintf(name, sizeof name, "pyr.A.%d", k);
        snprintf(label, sizeof label, "swd: Laplacian pyramid level %d (%d px)", k, s);
        tl_close(label, levels_a[k], (const float *)fixture(name)->data, lv, 1e-3, 1e-5);
        int *xy[2];
        float *desc[2];
        for (int set = 0; set < 2; set++) {
            snprintf(name, sizeof name, "xy.%c.%d", set ? 'B' : 'A', k);
            const float *f = (const float *)fixture(name)->data;
            xy[set] = fk_malloc(2 * m * sizeof(int));
            for (size_t i = 0; i < 2 * m; i++) xy[set][i] = (int)f[i];
            desc[set] = fk_malloc(m * SWD_DESC * sizeof(float));
            swd_descriptors(desc[set], set ? levels_b[k] : levels_a[k], n, s, xy[set], per_image);
            swd_normalize(desc[set], m);
        }
        snprintf(name, sizeof name, "desc.A.%d", k);
        snprintf(label, sizeof label, "swd: normalised descriptors, level %d", k);
        tl_close(label, desc[0], (const float *)fixture(name)->data, m * SWD_DESC, 1e-5, 1e-4);
        snprintf(name, sizeof name, "dirs.%d", k);
        dist[k] = (float)swd_distance(desc[0], desc[1], m, (const float *)fixture(name)->data, repeats, ndirs);
        for (int set = 0; set < 2; set++) free(xy[set]), free(desc[set]);
    }
    tl_close("swd: distance x1000 per level (NumPy transcription)", dist, (const float *)fixture("dist")->data, nl,
             1e-4, 1e-5);
    for (int k = 0; k < nl; k++) free(levels_a[k]), free(levels_b[k]);
}

// n images of side S: a few soft discs on a plain ground, with noise of `noise`
static void discs(uint8_t *out, int n, int C, int S, double noise, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double img[3][64][64];
        const double bg = 40 + 170 * rng_uniform(&r);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) img[c][y][x] = bg;
        for (int d = 0; d < 3; d++) {
            const double cx = S * rng_uniform(&r), cy = S * rng_uniform(&r), rad = 2 + S / 5.0 * rng_uniform(&r);
            double col[3] = {255 * rng_uniform(&r), 255 * rng_uniform(&r), 255 * rng_uniform(&r)};
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    const double a = exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * rad * rad));
                    for (int c = 0; c < 3; c++) img[c][y][x] = img[c][y][x] * (1 - a) + col[c] * a;
                }
        }
        for (int c = 0; c < C; c++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    double v = img[c][y][x] + noise * rng_normal(&r);
                    out[(((size_t)i * C + c) * S + y) * S + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
                }
    }
}

static void test_swd_properties(void) {
    const int n = 64, S = 32;
    const size_t img = 3 * (size_t)S * S;
    uint8_t *a = fk_malloc(n * img), *b = fk_malloc(n * img), *c = fk_malloc(n * img);
    discs(a, n, 3, S, 2, 1);
    discs(b, n, 3, S, 2, 2);   // another draw of the same kind
    discs(c, n, 3, S, 40, 3);  // the same shapes under heavy noise
    SwdResult r1, r2, rab, rac;
    swd_images(&r1, a, b, n, 3, S, 7);
    swd_images(&r2, a, b, n, 3, S, 7);
    tl_check(r1.avg == r2.avg && r1.dist[0] == r2.dist[0], "swd: the same seed gives the same figure (%.4f)", r1.avg);
    rab = r1;
    swd_images(&rac, a, c, n, 3, S, 7);
    tl_check(rab.avg < 0.5 * rac.avg && rab.dist[0] < rac.dist[0],
             "swd: same kind %.2f (levels %.2f %.2f) < half of noisy kind %.2f (levels %.2f %.2f)", rab.avg,
             rab.dist[0], rab.dist[1], rac.avg, rac.dist[0], rac.dist[1]);
    // grey: one channel replicated is the same computation as 3 equal channels
    const size_t plane = (size_t)S * S;
    uint8_t *ga = fk_malloc(n * plane), *gb = fk_malloc(n * plane), *ra = fk_malloc(n * img), *rb = fk_malloc(n * img);
    discs(ga, n, 1, S, 2, 4);
    discs(gb, n, 1, S, 2, 5);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < 3; ch++) {
            memcpy(ra + (size_t)i * img + ch * plane, ga + (size_t)i * plane, plane);
            memcpy(rb + (size_t)i * img + ch * plane, gb + (size_t)i * plane, plane);
        }
    SwdResult g1, g3;
    swd_images(&g1, ga, gb, n, 1, S, 9);
    swd_images(&g3, ra, rb, n, 3, S, 9);
    tl_check(g1.avg == g3.avg, "swd: grey replicated to 3 channels (%.4f = %.4f)", g1.avg, g3.avg);
    SwdResult big;
    uint8_t *a64 = fk_malloc(8 * 3 * 64 * 64), *b64 = fk_malloc(8 * 3 * 64 * 64);
    discs(a64, 8, 3, 64, 2, 11);
    discs(b64, 8, 3, 64, 2, 12);
    swd_images(&big, a64, b64, 8, 3, 64, 1);
    tl_check(big.nlevels == 3 && big.size[0] == 64 && big.size[1] == 32 && big.size[2] == 16 &&
                 fabs(big.avg - (big.dist[0] + big.dist[1] + big.dist[2]) / 3) < 1e-9,
             "swd: 64 px has levels 64, 32, 16 and avg is their mean (%.2f)", big.avg);
    free(a), free(b), free(c), free(ga), free(gb), free(ra), free(rb), free(a64), free(b64);
}

static void test_nearest(void) {
    const size_t nq = 13, nr = 57, D = 70;
    Rng r;
    rng_seed(&r, 3);
    uint8_t *q = fk_malloc(nq * D), *ref = fk_malloc(nr * D);
    for (size_t i = 0; i < nq * D; i++) q[i] = (uint8_t)(rng_u64(&r) & 255);
    for (size_t i = 0; i < nr * D; i++) ref[i] = (uint8_t)(rng_u64(&r) & 255);
    memcpy(ref + 40 * D, q + 5 * D, D);  // query 5 has an exact copy
    uint32_t idx[13];
    double dist[13];
    eval_nearest(idx, dist, q, nq, ref, nr, D, NULL);
    int ok = 1;
    for (size_t i = 0; i < nq; i++) {
        double best = INFINITY;
        size_t bi = 0;
        for (size_t j = 0; j < nr; j++) {
            double s = 0;
            for (size_t k = 0; k < D; k++) s += ((double)q[i * D + k] - ref[j * D + k]) * ((double)q[i * D + k] - ref[j * D + k]);
            if (s < best) best = s, bi = j;
        }
        if (idx[i] != bi || dist[i] != sqrt(best)) ok = 0;
    }
    tl_check(ok && idx[5] == 40 && dist[5] == 0.0, "nearest: exact index and L2 distance for 13 queries (copy found at 0)");
    // a set against itself: skipping the query's own index
    uint32_t self[13], idx2[13];
    for (uint32_t i = 0; i < 13; i++) self[i] = i;
    eval_nearest(idx2, dist, q, nq, q, nq, D, self);
    int none_self = 1;
    for (size_t i = 0; i < nq; i++) none_self &= idx2[i] != i && dist[i] > 0;
    tl_check(none_self, "nearest: skip_same never returns the query itself");
    free(q), free(ref);
}

static void test_small_helpers(void) {
    uint8_t in[2 * 4 * 4], out[2 * 2 * 2];
    for (int i = 0; i < 32; i++) in[i] = (uint8_t)(i < 16 ? (i % 4 < 2 ? 10 : 30) : 255);
    eval_downsample(out, in, 1, 2, 4, 2);
    tl_check(out[0] == 10 && out[1] == 30 && out[2] == 10 && out[3] == 30 && out[4] == 255,
             "downsample: 2x2 box means (%d %d %d %d, %d)", out[0], out[1], out[2], out[3], out[4]);
    uint8_t in2[4] = {0, 1, 2, 3};
    eval_downsample(out, in2, 1, 1, 2, 2);
    tl_check(out[0] == 2, "downsample: rounds half up (1.5 -> 2): %d", out[0]);
    const float f[5] = {-1.0f, 1.0f, 0.0f, -2.0f, 0.5f};
    uint8_t b[5];
    gen_to_bytes(b, f, 5);
    tl_check(b[0] == 0 && b[1] == 255 && b[2] == 128 && b[3] == 0 && b[4] == 191,
             "to_bytes: -1 -> 0, 1 -> 255, 0 -> 128, clamped, 0.5 -> 191 (%d %d %d %d %d)", b[0], b[1], b[2], b[3], b[4]);
    uint8_t same[3 * 4] = {0};
    tl_check(eval_mean_pair_distance(same, 3, 4, 50, 1) == 0.0, "pair distance: identical images are 0 apart");
    uint8_t two[2 * 4] = {0, 0, 0, 0, 3, 4, 0, 0};
    tl_check(fabs(eval_mean_pair_distance(two, 2, 4, 10, 1) - 5.0) < 1e-12, "pair distance: two images 5 apart");
}

// Colour: white ground and grey strokes have none; a frame of a pure hue
// lands in its 30-degree bin; hues spread evenly give log2(12) bits.
static void test_colour(void) {
    enum { S = 16, HW = S * S };
    const int n = 24;
    uint8_t *pix = fk_malloc((size_t)n * 3 * HW);
    memset(pix, 255, (size_t)n * 3 * HW);
    for (int i = 0; i < n; i++) {
        uint8_t *im = pix + (size_t)i * 3 * HW;
        for (int p = 0; p < 2 * S; p++) {  // two rows of "frame", 12.5% of the pixels
            if (i < 12) {  // hue 30 i degrees, full saturation and value
                const double h = i * 30.0 / 60.0, f = h - (int)h;
                double rgb[3];
                const int k = (int)h % 6;
                const double up = f, down = 1 - f;
                const double tab[6][3] = {{1, up, 0}, {down, 1, 0}, {0, 1, up}, {0, down, 1}, {up, 0, 1}, {1, 0, down}};
                for (int c = 0; c < 3; c++) rgb[c] = tab[k][c];
                for (int c = 0; c < 3; c++) im[c * HW + S * 4 + p] = (uint8_t)(255 * rgb[c] + 0.5);
            } else {
                for (int c = 0; c < 3; c++) im[c * HW + S * 4 + p] = 80;  // a grey stroke
            }
        }
    }
    EvalColour all, hues, greys;
    eval_colour(&all, pix, n, S);
    eval_colour(&hues, pix, 12, S);
    eval_colour(&greys, pix + (size_t)12 * 3 * HW, 12, S);
    int one_each = 1;
    for (int k = 0; k < EVAL_HUE_BINS; k++) one_each &= fabs(hues.hist[k] - 1.0 / 12) < 1e-12;
    tl_check(hues.coloured == 12 && one_each && fabs(hues.entropy - log2(12.0)) < 1e-9,
             "colour: 12 frames of hues 0, 30, ... 330 degrees fill one bin each (entropy %.3f bits)", hues.entropy);
    tl_check(greys.coloured == 0 && greys.entropy == 0 && all.coloured == 12,
             "colour: grey strokes on white have no colour (%zu of 12 coloured)", greys.coloured);
    tl_check(fabs(eval_hue_distance(&hues, &all)) < 1e-12 && hues.colourfulness > greys.colourfulness,
             "colour: the hue histogram counts coloured images only; coloured frames are more colourful (%.1f vs %.1f)",
             hues.colourfulness, greys.colourfulness);
    EvalColour red;
    eval_colour(&red, pix, 1, S);
    tl_check(red.hist[0] == 1.0 && eval_hue_distance(&red, &hues) > 0.9,
             "colour: one red frame is all in bin 0, far from an even spread (distance %.2f)", eval_hue_distance(&red, &hues));
    free(pix);
}

int main(void) {
    if (st_load(&fx, "tests/fixtures/swd.safetensors") != 0) return 2;
    test_swd_oracle();
    st_free(&fx);
    test_swd_properties();
    test_nearest();
    test_small_helpers();
    test_colour();
    return tl_summary();
}
