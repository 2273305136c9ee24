// linear.c: reference fully connected layer, out = inp w^T + b.
#include "ops/ops.h"

// inp (N, D), w (OD, D), b (OD) or NULL, out (N, OD)
void linear_forward(float *out, const float *inp, const float *w, const float *b,
                    int N, int D, int OD) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OD; o++) {
            const float *x = inp + (size_t)n * D;
            const float *wr = w + (size_t)o * D;
            float s = b ? b[o] : 0.0f;
            for (int d = 0; d < D; d++) s += wr[d] * x[d];
            out[(size_t)n * OD + o] = s;
        }
}

void linear_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, int N, int D, int OD) {
    if (dinp) {
        // dinp (N, D) += dout (N, OD) . w (OD, D)
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            float *dx = dinp + (size_t)n * D;
            for (int o = 0; o < OD; o++) {
                const float g = dout[(size_t)n * OD + o];
                const float *wr = w + (size_t)o * D;
                for (int d = 0; d < D; d++) dx[d] += g * wr[d];
            }
        }
    }
    if (dw || db) {
        // dw (OD, D) += dout^T . inp; db (OD) += sum_n dout
#pragma omp parallel for schedule(static)
        for (int o = 0; o < OD; o++) {
            if (dw) {
                for (int d = 0; d < D; d++) {
                    double s = 0.0;
                    for (int n = 0; n < N; n++) s += (double)dout[(size_t)n * OD + o] * inp[(size_t)n * D + d];
                    dw[(size_t)o * D + d] += (float)s;
                }
            }
            if (db) {
                double s = 0.0;
                for (int n = 0; n < N; n++) s += dout[(size_t)n * OD + o];
                db[o] += (float)s;
            }
        }
    }
}
