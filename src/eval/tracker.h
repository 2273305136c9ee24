// tracker.h: a generator's quality over training (`train --eval-every`):
// SWD of its fakes against held-out reals, measured exactly as `fakeit eval
// --swd-only --seed 1` measures a saved model, beside the floor of those
// reals against other held-out reals.
#ifndef FAKEIT_TRACKER_H
#define FAKEIT_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "eval/swd.h"
#include "gan/wgan.h"

typedef struct {
    int n, C, S;          // images per set and their shape
    uint8_t *ra, *fakes;  // (n, C, S, S) reals and the latest fakes
    SwdResult floor;      // reals vs other reals
    double seconds;       // spent measuring (not training time)
    float *saved;         // the generator's buffers, put back after each measurement (backend memory)
    const Backend *be;
} SwdTracker;

// Chooses the reals from `count` images pix (up to n_want per set, at most
// half of them each); `what` names them in messages. Returns -1 after
// printing when there are too few.
int tracker_init(SwdTracker *t, const uint8_t *pix, size_t count, int C, int S, int n_want, const char *what);
// SWD of the generator's fakes now. Its running statistics are put back, so
// measuring never changes the training state.
double tracker_measure(SwdTracker *t, Wgan *w);
void tracker_free(SwdTracker *t);

#endif
