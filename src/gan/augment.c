// augment.c: DiffAugment's policies and their random parameters.
#include "gan/augment.h"

#include <stdio.h>
#include <string.h>

#include "ops/ops.h"

static const char *const names[] = {"color", "translation", "cutout"};

int augment_parse(const char *s, unsigned *policy) {
    *policy = 0;
    if (!strcmp(s, "none")) return 0;
    while (*s) {
        const char *end = strchr(s, ',');
        const size_t len = end ? (size_t)(end - s) : strlen(s);
        int found = -1;
        for (int k = 0; k < 3; k++)
            if (strlen(names[k]) == len && !strncmp(s, names[k], len)) found = k;
        if (found < 0) return -1;
        *policy |= 1u << found;
        s += len + (end ? 1 : 0);
        if (end && !*s) return -1;  // a trailing comma
    }
    return *policy ? 0 : -1;
}

void augment_format(unsigned policy, char *buf, size_t n) {
    // the order of the paper's "translation,cutout,color" option, which reads
    // as the order people name them in
    static const int order[] = {1, 2, 0};
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < 3; i++)
        if (policy >> order[i] & 1) at += (size_t)snprintf(buf + at, at < n ? n - at : 0, "%s%s", at ? "," : "", names[order[i]]);
    if (!at) snprintf(buf, n, "none");
}

// An integer in [lo, hi] (hi - lo small).
static int uniform_int(Rng *r, int lo, int hi) { return lo + (int)(rng_u64(r) % (uint64_t)(hi - lo + 1)); }

void augment_draw(Rng *r, unsigned policy, float *params, int n, int H, int W) {
    const int shift_x = (int)(W * 0.125 + 0.5), shift_y = (int)(H * 0.125 + 0.5);
    const int cut_w = (int)(W * 0.5 + 0.5), cut_h = (int)(H * 0.5 + 0.5);
    const int cut = cut_w < cut_h ? cut_w : cut_h;
    for (int b = 0; b < n; b++) {
        float *q = params + (size_t)b * AUG_PARAMS;
        q[AUG_BRIGHT] = 0.0f, q[AUG_SAT] = 1.0f, q[AUG_CONTRAST] = 1.0f;
        q[AUG_DX] = q[AUG_DY] = q[AUG_CUT_X] = q[AUG_CUT_Y] = q[AUG_CUT] = 0.0f;
        if (policy & AUGMENT_COLOR) {
            q[AUG_BRIGHT] = (float)(rng_uniform(r) - 0.5);
            q[AUG_SAT] = (float)(rng_uniform(r) * 2.0);
            q[AUG_CONTRAST] = (float)(rng_uniform(r) + 0.5);
        }
        if (policy & AUGMENT_TRANSLATION) {
            q[AUG_DX] = (float)uniform_int(r, -shift_x, shift_x);
            q[AUG_DY] = (float)uniform_int(r, -shift_y, shift_y);
        }
        if (policy & AUGMENT_CUTOUT) {  // the square's centre anywhere in the image, as the authors' offsets
            q[AUG_CUT_X] = (float)(uniform_int(r, 0, W - (cut % 2)) - cut / 2);
            q[AUG_CUT_Y] = (float)(uniform_int(r, 0, H - (cut % 2)) - cut / 2);
            q[AUG_CUT] = (float)cut;
        }
    }
}
