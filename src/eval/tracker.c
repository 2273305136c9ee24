// tracker.c: SWD of a generator during training.
#include "eval/tracker.h"

#include <stdlib.h>
#include <string.h>

#include "eval/measure.h"
#include "gan/generator.h"
#include "util/util.h"

int tracker_init(SwdTracker *t, const uint8_t *pix, size_t count, int C, int S, int n_want, const char *what) {
    memset(t, 0, sizeof *t);
    const size_t img = (size_t)C * S * S;
    t->n = (int)(count / 2 < (size_t)n_want ? count / 2 : (size_t)n_want);
    if (t->n < 2) {
        fk_error("%s: %zu images are too few to measure SWD against (4 or more)", what, count);
        return -1;
    }
    t->C = C, t->S = S;
    t->ra = fk_malloc((size_t)t->n * img);
    t->fakes = fk_malloc((size_t)t->n * img);
    eval_take(t->ra, pix, count, img, 0, (size_t)t->n, 1);
    eval_take(t->fakes, pix, count, img, (size_t)t->n, (size_t)t->n, 1);  // the second real set, for the floor
    eval_swd(&t->floor, t->ra, t->fakes, t->n, C, S, 1);
    return 0;
}

double tracker_measure(SwdTracker *t, Wgan *w) {
    const double t0 = fk_seconds();
    Net *G = w->G;
    const long bn = G->bn_batches;
    t->be = w->be;
    if (!t->saved) t->saved = w->be->alloc(G->n_buffers ? G->n_buffers : 1);
    w->be->copy(t->saved, G->buffers, G->n_buffers);
    gen_fakes_bytes(t->fakes, w->be, G, &w->cfg, t->n, 1);
    w->be->copy(G->buffers, t->saved, G->n_buffers);
    G->bn_batches = bn;
    SwdResult r;
    eval_swd(&r, t->ra, t->fakes, t->n, t->C, t->S, 1);
    t->seconds += fk_seconds() - t0;
    return r.avg;
}

void tracker_free(SwdTracker *t) {
    if (t->saved) t->be->free(t->saved);
    free(t->ra), free(t->fakes);
    memset(t, 0, sizeof *t);
}
