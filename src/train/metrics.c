// metrics.c: metrics.csv and the chart's series.
#include "train/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

const char metrics_header[] =
    "gen_iter,epoch,images,d_iters,loss_d,loss_d_real,loss_d_fake,loss_g,wasserstein,seconds,images_per_s,loss_gp,"
    "swd,swd_real\n";

void series_push(Series *s, double x, double y, double z) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->x = realloc(s->x, (size_t)s->cap * sizeof(double));
        s->y = realloc(s->y, (size_t)s->cap * sizeof(double));
        s->z = realloc(s->z, (size_t)s->cap * sizeof(double));
        FK_CHECK(s->x && s->y && s->z, "out of memory");
    }
    s->x[s->n] = x, s->y[s->n] = y, s->z[s->n] = z;
    s->n++;
}

void series_free(Series *s) {
    free(s->x), free(s->y), free(s->z);
    memset(s, 0, sizeof *s);
}

// The 13th comma-separated field of a metrics row (swd), or NAN when empty.
static double swd_field(const char *line) {
    for (int f = 0; f < 12 && line; f++) line = strchr(line, ','), line = line ? line + 1 : NULL;
    if (!line || *line == ',' || *line == '\n' || !*line) return NAN;
    return strtod(line, NULL);
}

// The rows of the old file up to `upto`, after the header, as text (malloc'd).
static char *kept_rows(const char *path, long upto, Series *losses, Series *quality) {
    FILE *in = fopen(path, "r");
    char *kept = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&kept, &len);
    if (mem) fputs(metrics_header, mem);
    if (in && mem) {
        char line[1024];
        if (fgets(line, sizeof line, in))
            while (fgets(line, sizeof line, in)) {
                long it;
                double lg, wd;
                if (sscanf(line, "%ld,%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%lf,%lf", &it, &lg, &wd) == 3 &&
                    it <= upto) {
                    fputs(line, mem);
                    series_push(losses, (double)it, wd, lg);
                    const double sw = swd_field(line);
                    if (!isnan(sw)) series_push(quality, (double)it, sw, 0);
                }
            }
    }
    if (in) fclose(in);
    if (mem) fclose(mem);
    return kept;
}

FILE *metrics_open(const char *path, long upto, int resume, Series *losses, Series *quality) {
    char *kept = resume ? kept_rows(path, upto, losses, quality) : NULL;
    FILE *out = fopen(path, "w");
    if (out && fputs(kept ? kept : metrics_header, out) < 0) fclose(out), out = NULL;
    free(kept);
    if (!out) fk_error("%s: cannot write: %s", path, strerror(errno));
    return out;
}
