// tensor_diff.c: how far apart two safetensors files are, tensor by tensor
// (the data-parallel tests compare the models and states of runs with them).
//
// For every float32 tensor of A, its namesake in B must have the same shape;
// the measure is the normalised error ||b - a|| / ||a|| (Euclidean norms over
// the tensor; the plain norm of b - a where a is all zeros). Tensors of other
// dtypes (the state's counters and random generator) must be equal byte for
// byte. Prints the worst tensor, and the error of all float32 tensors taken
// as one vector (the whole model: tensors whose values are rounding noise,
// such as a bias whose gradient cancels, weigh by their size there), and
// exits 1 when the measure chosen exceeds TOL (0: every byte equal), 2 when a
// file cannot be read or the two do not match up.
//
// usage: tensor_diff A.safetensors B.safetensors TOL [PREFIX] [--whole]
//        (PREFIX: only the tensors whose names start with it; --whole: hold
//        the whole vector to TOL instead of each tensor)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/safetensors.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tensor_diff A.safetensors B.safetensors TOL [PREFIX]\n");
        return 2;
    }
    const double tol = atof(argv[3]);
    const int whole = !strcmp(argv[argc - 1], "--whole");
    const char *prefix = argc > 4 + whole ? argv[4] : "";
    StFile a, b;
    if (st_load(&a, argv[1]) != 0) return 2;
    if (st_load(&b, argv[2]) != 0) {
        st_free(&a);
        return 2;
    }
    int rc = 0, compared = 0;
    double worst = 0, all_d = 0, all_m = 0;
    const char *worst_name = "";
    for (int i = 0; i < a.n && rc != 2; i++) {
        const StTensor *ta = &a.tensors[i], *tb = st_find(&b, ta->name);
        if (strncmp(ta->name, prefix, strlen(prefix)) != 0) continue;
        if (!tb || tb->dtype != ta->dtype || tb->nbytes != ta->nbytes) {
            fprintf(stderr, "tensor_diff: %s: %s in %s, not the same in %s\n", ta->name, tb ? "shaped otherwise" : "missing",
                    argv[1], argv[2]);
            rc = 2;
            break;
        }
        compared++;
        double e;
        if (ta->dtype != ST_F32 || tol == 0) {
            e = memcmp(ta->data, tb->data, ta->nbytes) ? INFINITY : 0.0;
        } else {
            const float *x = (const float *)ta->data, *y = (const float *)tb->data;
            double d = 0, m = 0;
            for (size_t k = 0; k < ta->nbytes / 4; k++) {
                const double v = (double)y[k] - x[k];
                d += v * v, m += (double)x[k] * x[k];
            }
            all_d += d, all_m += m;
            e = isfinite(d) ? (m > 0 ? sqrt(d / m) : sqrt(d)) : INFINITY;
        }
        if (e > worst || !worst_name[0]) worst = e, worst_name = ta->name;
    }
    if (rc != 2) {
        const double all = isfinite(all_d) ? (all_m > 0 ? sqrt(all_d / all_m) : sqrt(all_d)) : INFINITY;
        printf("%d tensors compared; worst %s: normalised error %.3g; all as one: %.3g (limit %.3g%s)\n", compared,
               worst_name, worst, all, tol, whole ? " on all" : "");
        const double e = whole && tol > 0 && isfinite(worst) ? all : worst;  // bytes that differ count in both
        rc = compared == 0 ? 2 : e > tol ? 1 : 0;
    }
    st_free(&a), st_free(&b);
    return rc;
}
