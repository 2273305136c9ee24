// testlib.h: tiny test helpers shared by fakeit's C tests (header only).
//
// Every check prints one line; tl_summary() prints "N passed, N failed"
// (", N skipped" when some could not run here) and returns the exit status,
// non-zero when anything failed.
#ifndef FAKEIT_TESTLIB_H
#define FAKEIT_TESTLIB_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tl_passed, tl_failed, tl_skipped;

static void tl_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static void tl_check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (ok)
        tl_passed++;
    else
        tl_failed++;
}

// A check that cannot run here (no GPU): printed with the reason, counted
// as skipped, never as passed.
static void tl_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tl_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("skip ");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    tl_skipped++;
}

// |got - ref| <= atol + rtol * |ref| for every element; prints the worst
// element (by its margin against the tolerance) and returns 1 when all pass.
__attribute__((unused)) static int tl_close(const char *what, const float *got, const float *ref, size_t n,
                    double atol, double rtol) {
    double worst_excess = -INFINITY, worst_abs = 0.0;
    size_t worst_i = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double tol = atol + rtol * fabs((double)ref[i]);
        if (!(d <= tol)) bad++;  // NaN counts as bad
        double excess = isnan(d) ? INFINITY : d - tol;
        if (excess > worst_excess) worst_excess = excess, worst_abs = d, worst_i = i;
        if (isnan(d)) worst_abs = d;
    }
    if (n == 0)
        tl_check(0, "%-52s empty", what);
    else
        tl_check(bad == 0, "%-52s n=%-7zu max|diff| at [%zu] %.3g (got %.8g ref %.8g)%s", what, n,
                 worst_i, worst_abs, got[worst_i], ref[worst_i], bad ? " <- out of tolerance" : "");
    return n > 0 && bad == 0;
}

// A whole file, malloc'd (one spare byte), its size in *n; NULL when unreadable.
__attribute__((unused)) static unsigned char *tl_slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (b && fread(b, 1, (size_t)len, f) == (size_t)len) *n = (size_t)len;
    fclose(f);
    return b;
}

// 1 when both files exist, are non-empty and hold the same bytes.
__attribute__((unused)) static int tl_same_file(const char *a, const char *b) {
    size_t na, nb;
    unsigned char *x = tl_slurp(a, &na), *y = tl_slurp(b, &nb);
    const int same = x && y && na == nb && na > 0 && !memcmp(x, y, na);
    free(x), free(y);
    return same;
}

__attribute__((unused)) static int tl_summary(void) {
    if (tl_skipped)
        printf("%d passed, %d failed, %d skipped\n", tl_passed, tl_failed, tl_skipped);
    else
        printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed ? 1 : 0;
}

#endif
