// backend.c: which backends this build has, and which one is the default.
#include <string.h>

#include "backend.h"

// Fastest first: backend_default() is the first entry. Later backends (the
// oneDNN CPU backend, CUDA) are added here by the build when available.
static const Backend *const backends[] = {
    &backend_ref,
    NULL,
};

const Backend *const *backend_all(void) { return backends; }

const Backend *backend_default(void) { return backends[0]; }

const Backend *backend_find(const char *name) {
    for (int i = 0; backends[i]; i++)
        if (strcmp(backends[i]->name, name) == 0) return backends[i];
    return NULL;
}
