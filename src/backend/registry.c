// registry.c: which backends this build has, which one is the default, and
// the check that each fills its table.
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "util/util.h"

// Fastest first: backend_default() is the first entry. The oneDNN CPU backend
// is in builds with oneDNN (FAKEIT_HAVE_DNNL, the Makefile's DNNL=1).
static const Backend *const backends[] = {
#ifdef FAKEIT_HAVE_DNNL
    &backend_cpu,
#endif
    &backend_ref,
    NULL,
};

// Every function pointer of the table is in one of the two lists.
#define COUNT(name) +1
_Static_assert(sizeof(Backend) == offsetof(Backend, blocked) +
                                      (0 BACKEND_REQUIRED(COUNT) BACKEND_OPTIONAL(COUNT)) * sizeof(void (*)(void)),
               "a Backend entry is in neither BACKEND_REQUIRED nor BACKEND_OPTIONAL");
#undef COUNT

void backend_check(const Backend *be) {
    char missing[4096] = "";  // room for every entry's name
    size_t n = 0;
#define CHECK(name) \
    if (!be->name) n += (size_t)snprintf(missing + n, n < sizeof missing ? sizeof missing - n : 0, " %s", #name);
    BACKEND_REQUIRED(CHECK)
#undef CHECK
    FK_CHECK(n == 0, "backend '%s' leaves required entries NULL:%s", be->name ? be->name : "?", missing);
    FK_CHECK(!be->blocked || (be->to_native && be->to_plain),
             "backend '%s' has a blocked layout without to_native and to_plain", be->name);
    FK_CHECK(!be->batchnorm_act_forward_train == !be->batchnorm_act_backward,
             "backend '%s' fuses batch norm and activation in one direction only", be->name);
}

void backend_check_all(void) {
    static int checked;
    if (checked) return;
    for (int i = 0; backends[i]; i++) backend_check(backends[i]);
    checked = 1;
}

const Backend *const *backend_all(void) {
    backend_check_all();
    return backends;
}

const Backend *backend_default(void) { return backend_all()[0]; }

const Backend *backend_find(const char *name) {
    for (const Backend *const *b = backend_all(); *b; b++)
        if (strcmp((*b)->name, name) == 0) return *b;
    return NULL;
}

const Backend *backend_pick(const char *name, int threads) {
    const Backend *be = name ? backend_find(name) : backend_default();
    if (!be) fk_error("no backend called '%s' in this build (fakeit backends lists them)", name);
    else if (threads > 0) be->set_threads(threads);
    return be;
}
