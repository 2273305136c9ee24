// registry.c: which backends this build has, which one is the default, and
// the check that each fills its table.
//
// The CUDA backend is a module of its own (fakeit-cuda.so, linked with cuDNN
// and cuBLAS) that the program opens only when it may be used: a process on a
// machine without an NVIDIA driver never maps those libraries (about 200 MB
// of resident memory and a tenth of a second at every start otherwise).
#define _GNU_SOURCE  // dladdr
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "util/util.h"

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
    FK_CHECK(!be->comm_id == !be->comm_join && !be->comm_id == !be->comm_sum,
             "backend '%s' fills part of the device sums (comm_id, comm_join, comm_sum)", be->name);
}

#ifdef FAKEIT_HAVE_CUDA
// What the module takes from the program (it is linked with -rdynamic): named
// here so that every program with the registry has them.
__attribute__((used)) static void *const cuda_module_imports[] = {
    (void *)fk_malloc, (void *)fk_calloc, (void *)fk_error, (void *)fk_fail,
    (void *)host_set_threads, (void *)host_get_threads,
};

static const Backend *cuda_table;  // the module's table once loaded
static char cuda_why[PATH_MAX + 1024];        // why it could not be loaded

// Where the module is: FAKEIT_CUDA_MODULE, else beside the program, else
// ../lib/fakeit/ from it (make install), else the build folder it was built in.
static const Backend *cuda_load(void) {
    static int tried;
    if (tried) return cuda_table;
    tried = 1;
    char exe[PATH_MAX], cand[5][PATH_MAX + 64];  // cuda_why is cut short for very long paths
    int n = 0;
    const char *env = getenv("FAKEIT_CUDA_MODULE");
    if (env && *env) snprintf(cand[n++], sizeof cand[0], "%s", env);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (!env && len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(cand[n++], sizeof cand[0], "%s/fakeit-cuda.so", exe);
        snprintf(cand[n++], sizeof cand[0], "%s/../lib/fakeit/fakeit-cuda.so", exe);
    }
    // a program using the installed libfakeit.so: beside the library, in fakeit/
    Dl_info info;
    if (!env && dladdr((void *)backend_default, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
        snprintf(exe, sizeof exe, "%s", info.dli_fname);
        *strrchr(exe, '/') = 0;
        snprintf(cand[n++], sizeof cand[0], "%s/fakeit/fakeit-cuda.so", exe);
    }
#ifdef FAKEIT_CUDA_MODULE
    if (!env) snprintf(cand[n++], sizeof cand[0], "%s", FAKEIT_CUDA_MODULE);
#endif
    snprintf(cuda_why, sizeof cuda_why, "its module fakeit-cuda.so is not installed (make builds it; "
             "FAKEIT_CUDA_MODULE names it)");
    for (int i = 0; i < n; i++) {
        if (access(cand[i], F_OK) != 0) continue;
        void *h = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(cuda_why, sizeof cuda_why, "cannot load %.2000s: %.1000s", cand[i], dlerror());
            return NULL;
        }
        const Backend *t = (const Backend *)dlsym(h, "backend_cuda");
        if (!t) {
            snprintf(cuda_why, sizeof cuda_why, "%.2000s is not a fakeit CUDA module (no backend_cuda)", cand[i]);
            return NULL;
        }
        backend_check(t);
        return cuda_table = t;
    }
    return NULL;
}

// NULL when the CUDA backend can run here, else why not. Without an NVIDIA
// driver's device node nothing is loaded.
static const char *cuda_unavailable(void) {
    if (access("/dev/nvidiactl", F_OK) != 0 && access("/dev/dxg", F_OK) != 0)
        return "no NVIDIA GPU with a driver here (no /dev/nvidiactl)";
    if (!cuda_load()) return cuda_why;
    return cuda_table->unavailable ? cuda_table->unavailable() : NULL;
}
#endif

// Fastest first: backend_default() is the first usable entry. The CUDA
// backend is in builds with nvcc (FAKEIT_HAVE_CUDA, CUDA=1), as a module, and
// usable where a GPU answers; the oneDNN CPU backend is in builds with oneDNN
// (FAKEIT_HAVE_DNNL, DNNL=1).
enum { MAX_BACKENDS = 4 };
static const Backend *const linked[] = {
#ifdef FAKEIT_HAVE_DNNL
    &backend_cpu,
#endif
    &backend_ref,
    NULL,
};

const char *const backend_precision_names[] = {"fp32", "tf32", "bf16", NULL};

void backend_check_all(void) {
    static int checked;
    if (checked) return;
    for (int i = 0; linked[i]; i++) backend_check(linked[i]);
    checked = 1;
}

// The CUDA module is loaded to be listed (its table is checked as it loads).
const Backend *const *backend_built(void) {
    static const Backend *built[MAX_BACKENDS];
    static int listed;
    backend_check_all();
    if (!listed) {
        int n = 0;
#ifdef FAKEIT_HAVE_CUDA
        if (cuda_load()) built[n++] = cuda_table;
#endif
        for (int i = 0; linked[i]; i++) built[n++] = linked[i];
        built[n] = NULL;
        listed = 1;
    }
    return built;
}

const Backend *const *backend_all(void) {
    static const Backend *usable[MAX_BACKENDS];
    static int listed;
    backend_check_all();
    if (!listed) {
        int n = 0;
#ifdef FAKEIT_HAVE_CUDA
        if (!cuda_unavailable()) usable[n++] = cuda_table;
#endif
        for (int i = 0; linked[i]; i++)
            if (!linked[i]->unavailable || !linked[i]->unavailable()) usable[n++] = linked[i];
        usable[n] = NULL;
        listed = 1;
    }
    return usable;
}

const char *backend_unavailable(const char *name) {
#ifdef FAKEIT_HAVE_CUDA
    if (strcmp(name, "cuda") == 0) return cuda_unavailable();
#endif
    for (int i = 0; linked[i]; i++)
        if (strcmp(linked[i]->name, name) == 0)
            return linked[i]->unavailable ? linked[i]->unavailable() : NULL;
    return "no backend of that name in this build";
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
        int known = 0;
#ifdef FAKEIT_HAVE_CUDA
        known |= strcmp(name, "cuda") == 0;
#endif
        for (int i = 0; linked[i]; i++) known |= strcmp(linked[i]->name, name) == 0;
        if (known) {
            fk_error("the %s backend cannot run here: %s (fakeit backends lists the others)", name,
                     backend_unavailable(name));
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
