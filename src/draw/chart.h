// chart.h: the training chart, drawn with cairo: the Wasserstein estimate
// -Loss_D (median-filtered over 101 iterations as in the paper, a tenth of
// the run when shorter, over the raw values in light colour) and Loss_G against generator iterations.
#ifndef FAKEIT_CHART_H
#define FAKEIT_CHART_H

// x (n) generator iterations, w (n) -Loss_D, g (n) Loss_G. With sn > 0 a
// third panel: SWD sw (sn) at iterations sx (sn), and the real-vs-real
// floor swd_real as a dashed line. Returns -1 after printing.
int chart_save(const char *path, const double *x, const double *w, const double *g, int n, const double *sx,
               const double *sw, int sn, double swd_real);

// Named curves in one panel, with a dashed reference line at `ref` (NAN:
// none) labelled ref_label; points are marked. Returns -1 after printing.
typedef struct {
    const char *name;
    const double *x, *y;
    int n;
    double r, g, b;  // colour
} ChartSeries;
int chart_curves(const char *path, const char *title, const char *xlabel, const ChartSeries *s, int k, double ref,
                 const char *ref_label);

// out[i] = median of v over the window of `window` values centred on i
// (shrunk at the ends).
void median_filter(const double *v, double *out, int n, int window);
// The same at one position i (buf: window + 1 doubles of scratch).
double median_at(const double *v, int n, int window, int i, double *buf);

#endif
