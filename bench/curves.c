// curves.c: the Fashion-MNIST benchmark's charts (bench/fmnist.sh).
// usage: bench_curves SWD.csv FLOOR PREFIX
// SWD.csv rows "run,gen_iter,seconds,swd" (runs wgan, wgangp, pytorch, and
// wgan_sN, pytorch_sN for other seeds); writes PREFIX_iters.png (SWD against
// generator iterations) and PREFIX_seconds.png (against training seconds),
// the floor dashed.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw/chart.h"
#include "util/util.h"

#define MAXP 4096
#define MAXR 8

typedef struct {
    char key[32], name[64];
    double r, g, b;
    double it[MAXP], sec[MAXP], swd[MAXP];
    int n;
} Run;

// Name and colour from the run's key (no _sN: seed 1); other seeds in a paler shade.
static void describe(Run *r) {
    const char *seed = strstr(r->key, "_s");
    const double pale = seed ? 0.45 : 0.0;
    double c[3] = {0.85, 0.35, 0.10};
    const char *what = "PyTorch WGAN (reference code)";
    if (!strncmp(r->key, "wgangp", 6)) what = "fakeit WGAN-GP", c[0] = 0.10, c[1] = 0.60, c[2] = 0.25;
    else if (!strncmp(r->key, "wgan", 4)) what = "fakeit WGAN (weight clipping)", c[0] = 0.10, c[1] = 0.35, c[2] = 0.75;
    snprintf(r->name, sizeof r->name, "%s, seed %s", what, seed ? seed + 2 : "1");
    r->r = c[0] + (1 - c[0]) * pale, r->g = c[1] + (1 - c[1]) * pale, r->b = c[2] + (1 - c[2]) * pale;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_curves SWD.csv FLOOR PREFIX\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "bench_curves: %s: cannot open\n", argv[1]);
        return 1;
    }
    static Run runs[MAXR];
    int nr = 0;
    char line[256], key[32];
    double a, b, c;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%31[^,],%lf,%lf,%lf", key, &a, &b, &c) != 4) continue;
        int r = 0;
        while (r < nr && strcmp(runs[r].key, key)) r++;
        if (r == nr) {
            if (nr == MAXR) continue;
            snprintf(runs[nr].key, sizeof runs[nr].key, "%s", key);
            describe(&runs[nr++]);
        }
        Run *R = &runs[r];
        if (R->n < MAXP) R->it[R->n] = a, R->sec[R->n] = b, R->swd[R->n++] = c;
    }
    fclose(f);
    const double floor_v = atof(argv[2]);
    ChartSeries s[MAXR];
    for (int axis = 0; axis < 2; axis++) {
        for (int r = 0; r < nr; r++)
            s[r] = (ChartSeries){runs[r].name, axis ? runs[r].sec : runs[r].it, runs[r].swd, runs[r].n, runs[r].r,
                                 runs[r].g, runs[r].b};
        char path[1024];
        snprintf(path, sizeof path, "%s_%s.png", argv[3], axis ? "seconds" : "iters");
        if (chart_curves(path, "Fashion-MNIST: SWD x1000 of 1000 fakes vs 1000 test images (lower is better)",
                         axis ? "training seconds (2 cores)" : "generator iterations", s, nr, floor_v,
                         "test vs other test images") != 0)
            return 1;
        printf("wrote %s\n", path);
    }
    return 0;
}
