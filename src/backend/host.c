// host.c: what every backend whose memory is the host's shares: threads, free, copy.
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "util/util.h"

void host_set_threads(int n) {
    FK_CHECK(n >= 1, "thread count must be at least 1, got %d", n);
    omp_set_num_threads(n);
}

int host_get_threads(void) { return omp_get_max_threads(); }

void host_free(float *p) { free(p); }

void host_copy(float *dst, const float *src, size_t n) {
    if (n) memmove(dst, src, n * sizeof(float));
}

void host_copy_bytes(void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}
