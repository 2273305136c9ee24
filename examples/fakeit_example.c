/* fakeit_example.c: fakeit as a library, from folder of images to upscaled fakes.
 *
 *   cc fakeit_example.c $(pkg-config --cflags --libs fakeit) -o fakeit_example
 *   ./fakeit_example IMAGES_DIR WORK_DIR [ITERATIONS]
 *
 * Prepares IMAGES_DIR into WORK_DIR/data.fkd, trains a small WGAN on it in
 * WORK_DIR/run (Ctrl-C stops it cleanly through the stop flag; run again to
 * continue), draws 8 fakes into WORK_DIR/fake_N.ppm and upscales the first
 * with the shipped super-resolution model into WORK_DIR/fake_0_x4.ppm. */
#include <fakeit.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static volatile int stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

static int progress(const fk_progress *p, void *user) {
    (void)user;
    if (p->iteration % 10 == 0)
        printf("  iteration %ld of %ld: Wasserstein estimate %.5f, Loss_G %.5f, %.0f images/s\n", p->iteration,
               p->target, p->wasserstein, p->loss_g, p->images_per_s);
    return 0; /* non-zero would stop the run */
}

static int fail(const char *what, fk_status s) {
    fprintf(stderr, "fakeit_example: %s failed (%s):\n%s\n", what, fk_status_name(s), fk_last_error());
    return 1;
}

/* Binary PPM (P6) or PGM (P5): width x height x channels bytes. */
static int write_pnm(const char *path, const uint8_t *px, int w, int h, int channels) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "P%d\n%d %d\n255\n", channels == 3 ? 6 : 5, w, h);
    const size_t n = (size_t)w * h * channels;
    const int ok = fwrite(px, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IMAGES_DIR WORK_DIR [ITERATIONS]\n", argv[0]);
        return 2;
    }
    const char *images = argv[1], *work = argv[2], *iters = argc > 3 ? argv[3] : "100";
    char data[4096], run[4096], path[4200];
    snprintf(data, sizeof data, "%s/data.fkd", work);
    snprintf(run, sizeof run, "%s/run", work);
    printf("fakeit library %s (header %s)\n", fk_version(), FAKEIT_VERSION);
    fk_set_quiet(1); /* messages only through fk_last_error() */

    /* 1. a data set: every image, 32 x 32 */
    struct stat st;
    fk_status s;
    int kept = 0;
    if (stat(data, &st) != 0) {
        const char *inputs[] = {images};
        const char *const opts[] = {"--size", "32", "--background", "any", NULL};
        if ((s = fk_prepare(inputs, 1, data, opts, &kept)) != FK_OK) return fail("fk_prepare", s);
        printf("prepared %s: %d images\n", data, kept);
    }

    /* 2. train (or continue): small networks, a few iterations */
    signal(SIGINT, on_signal);
    snprintf(path, sizeof path, "%s/state.safetensors", run);
    const int resume = stat(path, &st) == 0;
    const char *const opts[] = {"--iters", iters, "--ngf", "16", "--ndf", "16", "--batch", "16", "--sample-every", "50", NULL};
    const char *const more[] = {"--iters", iters, NULL};
    printf("%s %s\n", resume ? "continuing" : "training", run);
    s = fk_train(resume ? NULL : data, run, resume ? more : opts, progress, NULL, &stop);
    if (s == FK_STOPPED) {
        printf("stopped and saved; run again to continue\n");
        return 0;
    }
    if (s != FK_OK) return fail("fk_train", s);

    /* 3. fakes */
    fk_generator *g;
    if ((s = fk_generator_open(&g, run, NULL, 0)) != FK_OK) return fail("fk_generator_open", s);
    fk_generator_info info;
    fk_generator_info_get(g, &info);
    const size_t img = (size_t)info.size * info.size * info.channels;
    uint8_t *fakes = malloc(8 * img);
    if ((s = fk_generator_sample(g, 1, 8, fakes)) != FK_OK) return fail("fk_generator_sample", s);
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "%s/fake_%d.ppm", work, i);
        if (write_pnm(path, fakes + i * img, info.size, info.size, info.channels) != 0) return fail(path, FK_ERR_WRITE);
    }
    printf("wrote 8 fakes of %dx%d to %s/fake_N.ppm\n", info.size, info.size, work);
    fk_generator_close(g);

    /* 4. the first fake upscaled by the shipped model */
    fk_upscaler *u;
    if ((s = fk_upscaler_open(&u, NULL, 0, NULL, 0)) != FK_OK) return fail("fk_upscaler_open", s);
    const int k = fk_upscaler_scale(u), S = info.size;
    uint8_t *rgb = malloc((size_t)S * S * 3), *big = malloc((size_t)S * S * 3 * k * k);
    for (int p = 0; p < S * S; p++)
        for (int c = 0; c < 3; c++) rgb[p * 3 + c] = fakes[p * info.channels + (info.channels == 3 ? c : 0)];
    if ((s = fk_upscale(u, rgb, S, S, big)) != FK_OK) return fail("fk_upscale", s);
    snprintf(path, sizeof path, "%s/fake_0_x%d.ppm", work, k);
    if (write_pnm(path, big, S * k, S * k, 3) != 0) return fail(path, FK_ERR_WRITE);
    printf("wrote %s (%dx%d)\n", path, S * k, S * k);
    fk_upscaler_close(u);
    free(fakes), free(rgb), free(big);
    return 0;
}
