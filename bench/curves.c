// curves.c: the Fashion-MNIST benchmark's charts (bench/fmnist.sh).
// and the 64x64 bike study's (bench/bikes.sh).
// usage: bench_curves SWD.csv FLOOR PREFIX [TITLE]
// SWD.csv rows "run,gen_iter,seconds,swd" (runs wgan, wgangp, pytorch, and
// wgan_sN, pytorch_sN for other seeds; any other run key is drawn under its
// own name in a colour of its own); writes PREFIX_iters.png (SWD against
// generator iterations) and PREFIX_seconds.png (against training seconds),
// the floor dashed. TITLE replaces the Fashion-MNIST title.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw/chart.h"
#include "util/util.h"

#define MAXP 4096
#define MAXR 12

typedef struct {
    char key[32], name[64];
    double r, g, b;
    double it[MAXP], sec[MAXP], swd[MAXP];
    int n;
} Run;

// Name and colour from the run's key (no _sN: seed 1); other seeds in a paler
// shade; a key of another benchmark is its own name, coloured by its order.
static void describe(Run *r, int index) {
    static const double palette[][3] = {{0.85, 0.35, 0.10}, {0.10, 0.35, 0.75}, {0.10, 0.60, 0.25}, {0.55, 0.25, 0.65},
                                        {0.80, 0.60, 0.05}, {0.35, 0.35, 0.35}, {0.00, 0.65, 0.70}, {0.85, 0.20, 0.55},
                                        {0.45, 0.30, 0.10}, {0.55, 0.75, 0.20}, {0.20, 0.20, 0.55}, {0.95, 0.45, 0.45}};
    const size_t stem = strcspn(r->key, "_");  // Fashion-MNIST's keys: wgan, wgangp, pytorch, each maybe _sN
    const int fmnist = (stem == 4 && !strncmp(r->key, "wgan", 4)) || (stem == 6 && !strncmp(r->key, "wgangp", 6)) ||
                       (stem == 7 && !strncmp(r->key, "pytorch", 7));
    if (!fmnist) {
        memcpy(r->name, r->key, sizeof r->key);  // key (32) fits name (64), NUL included
        r->r = palette[index % MAXR][0], r->g = palette[index % MAXR][1], r->b = palette[index % MAXR][2];
        return;
    }
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
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bench_curves SWD.csv FLOOR PREFIX [TITLE]\n");
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
            describe(&runs[nr], nr), nr++;
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
        const char *title = argc == 5 ? argv[4] : "Fashion-MNIST: SWD x1000 of 1000 fakes vs 1000 test images (lower is better)";
        if (chart_curves(path, title,
                         axis ? "training seconds (2 cores)" : "generator iterations", s, nr, floor_v,
                         "test vs other test images") != 0)
            return 1;
        printf("wrote %s\n", path);
    }
    return 0;
}
