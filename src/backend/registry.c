// backend.c: which backends this build has, and which one is the default.
#include <string.h>

#include "backend/backend.h"

#include "util/util.h"

// Fastest first: backend_default() is the first entry. The oneDNN CPU backend
// is in every build made by the Makefile (FAKEIT_HAVE_DNNL); CUDA comes later.
static const Backend *const backends[] = {
#ifdef FAKEIT_HAVE_DNNL
    &backend_cpu,
#endif
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

const Backend *backend_pick(const char *name, int threads) {
    const Backend *be = name ? backend_find(name) : backend_default();
    if (!be) fk_error("no backend called '%s' in this build (fakeit backends lists them)", name);
    else if (threads > 0) be->set_threads(threads);
    return be;
}
