// photos.c: a folder that looks scraped, for timing `fakeit prepare`: JPEG
// photos of about 500x300 (sizes vary by +-10%), each a built-in bike drawn on
// a landscape canvas, quality 85.
//
// usage: photos N DIR
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <vips/vips.h>

#include "data/bikes.h"
#include "image/imageio.h"
#include "util/rng.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: photos N DIR\n");
        return 2;
    }
    const int n = atoi(argv[1]);
    img_init();
    mkdir(argv[2], 0777);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 8) reduction(| : failed)
    for (int i = 0; i < n; i++) {
        Rng r;
        rng_seed(&r, (uint64_t)i + 1);
        const int w = (int)(500 * (0.9 + 0.2 * rng_uniform(&r))), h = (int)(300 * (0.9 + 0.2 * rng_uniform(&r)));
        uint8_t *rgb = malloc((size_t)h * h * 3);
        bike_render(1, i, h, rgb);
        VipsImage *sq = vips_image_new_from_memory(rgb, (size_t)h * h * 3, h, h, 3, VIPS_FORMAT_UCHAR), *wide = NULL;
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        char path[4096];
        snprintf(path, sizeof path, "%s/photo_%05d.jpg", argv[2], i);
        failed |= vips_embed(sq, &wide, (w - h) / 2, 0, w, h, "extend", VIPS_EXTEND_BACKGROUND, "background", white, NULL) ||
                  vips_jpegsave(wide, path, "Q", 85, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (wide) g_object_unref(wide);
        g_object_unref(sq);
        free(rgb);
    }
    if (failed) fprintf(stderr, "photos: could not write every file: %s\n", vips_error_buffer());
    return failed ? 1 : 0;
}
