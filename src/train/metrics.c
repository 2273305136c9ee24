// metrics.c: metrics.csv and the chart's series.
#include "train/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/files.h"
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

// The rows of the old file up to iteration `upto`, after the header, into
// `out`: whole lines only, iterations rising (a row the file holds twice is
// kept once), and the chart's series from them.
static void keep_rows(const char *path, long upto, FILE *out, Series *losses, Series *quality) {
    FILE *in = fopen(path, "r");
    if (!in) return;
    char line[1024];
    long last = 0;
    if (fgets(line, sizeof line, in))
        while (fgets(line, sizeof line, in)) {
            long it;
            double lg, wd;
            if (!strchr(line, '\n') ||
                sscanf(line, "%ld,%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%lf,%lf", &it, &lg, &wd) != 3 ||
                it <= last || it > upto)
                continue;
            last = it;
            fputs(line, out);
            series_push(losses, (double)it, wd, lg);
            const double sw = swd_field(line);
            if (!isnan(sw)) series_push(quality, (double)it, sw, 0);
        }
    fclose(in);
}

FILE *metrics_open(const char *path, long upto, int resume, Series *losses, Series *quality) {
    // the new file (header, and on a resume the rows up to the state) is
    // written aside and renamed over the old one: a crash leaves one or the other
    char *tmp = fk_tmp_path(path);
    FILE *t = fopen(tmp, "w");
    int ok = t && fputs(metrics_header, t) >= 0;
    if (ok && resume) keep_rows(path, upto, t, losses, quality);
    if (t) ok = fflush(t) == 0 && !ferror(t) && ok, ok = fclose(t) == 0 && ok;
    FILE *out = NULL;
    if (!ok) fk_error("%s: cannot write: %s", path, strerror(errno)), unlink(tmp);
    else if (fk_commit(tmp, path) == 0 && !(out = fopen(path, "a")))
        fk_error("%s: cannot append: %s", path, strerror(errno));
    free(tmp);
    return out;
}
