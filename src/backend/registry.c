// registry.c: which backends this build has, which one is the default, and
// the check that each fills its table.
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "util/util.h"

// Fastest first: backend_default() is the first usable entry. The CUDA
// backend is in builds with nvcc (FAKEIT_HAVE_CUDA, CUDA=1) and usable where
// a GPU answers; the oneDNN CPU backend is in builds with oneDNN
// (FAKEIT_HAVE_DNNL, DNNL=1).
static const Backend *const built[] = {
#ifdef FAKEIT_HAVE_CUDA
    &backend_cuda,
#endif
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

const char *const backend_precision_names[] = {"fp32", "tf32", "bf16", NULL};

void backend_check_all(void) {
    static int checked;
    if (checked) return;
    for (int i = 0; built[i]; i++) backend_check(built[i]);
    checked = 1;
}

const Backend *const *backend_built(void) {
    backend_check_all();
    return built;
}

const Backend *const *backend_all(void) {
    static const Backend *usable[sizeof built / sizeof *built];
    static int listed;
    if (!listed) {
        int n = 0;
        for (const Backend *const *b = backend_built(); *b; b++)
            if (!(*b)->unavailable || !(*b)->unavailable()) usable[n++] = *b;
        usable[n] = NULL;
        listed = 1;
    }
    return usable;
}

const Backend *backend_default(void) { return backend_all()[0]; }

const Backend *backend_find(const char *name) {
    for (const Backend *const *b = backend_all(); *b; b++)
        if (strcmp((*b)->name, name) == 0) return *b;
    return NULL;
}

const Backend *backend_pick(const char *name, int threads, const char *precision) {
    const Backend *be = name ? backend_find(name) : backend_default();
    if (!be) {
        for (const Backend *const *b = backend_built(); *b; b++)
            if (strcmp((*b)->name, name) == 0) {
                fk_error("the %s backend cannot run here: %s (fakeit backends lists the others)", name,
                         (*b)->unavailable());
                return NULL;
            }
        fk_error("no backend called '%s' in this build (fakeit backends lists them)", name);
        return NULL;
    }
    int p = 0;
    while (precision && backend_precision_names[p] && strcmp(backend_precision_names[p], precision) != 0) p++;
    if (precision && !backend_precision_names[p]) {
        fk_error("--precision %s: the precisions are fp32, tf32 and bf16", precision);
        return NULL;
    }
    if (threads > 0) be->set_threads(threads);
    if (p != BACKEND_PRECISION_FP32 || be->set_precision) {
        const char *why = be->set_precision ? be->set_precision(p) : "it computes in fp32 only";
        if (why) {
            fk_error("--precision %s is not available on the %s backend: %s", precision, be->name, why);
            return NULL;
        }
    }
    return be;
}
