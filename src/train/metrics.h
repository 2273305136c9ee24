// metrics.h: a GAN run's metrics.csv (one row per generator iteration) and
// the series kept in memory for the chart (loss.png).
#ifndef FAKEIT_METRICS_H
#define FAKEIT_METRICS_H

#include <stdio.h>

// Points (x, y, z) of one chart series, grown as the run goes.
typedef struct {
    double *x, *y, *z;
    int n, cap;
} Series;

void series_push(Series *s, double x, double y, double z);
void series_free(Series *s);

// metrics.csv's columns
extern const char metrics_header[];

// Opens metrics.csv for appending, a row per generator iteration. The file
// is never rewritten in place: a new run's header, or on resume the rows up to
// the resumed iteration `upto` (a run killed between a row and its checkpoint
// would otherwise repeat them), go to a new file renamed over the old one.
// On resume the kept rows are reloaded into `losses` (iteration, Wasserstein
// estimate, Loss_G) and `quality` (iteration, SWD). NULL after printing.
FILE *metrics_open(const char *path, long upto, int resume, Series *losses, Series *quality);

#endif
