#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void fk_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    fprintf(stderr, "fakeit: internal error at %s:%d: check '%s' failed: ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

// The messages since fk_error_clear(), one per line, for the library's
// fk_last_error(); per thread, so concurrent calls keep their own.
static _Thread_local char errors[4096];
static _Thread_local size_t errors_len;
static int quiet;

// Prints `prefix` and the message (unless quiet) and keeps the message.
static void report(const char *prefix, const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!quiet) fprintf(stderr, "%s%s\n", prefix, msg);
    const int n = snprintf(errors + errors_len, sizeof errors - errors_len, "%s%s", errors_len ? "\n" : "", msg);
    if (n > 0) errors_len = errors_len + (size_t)n < sizeof errors ? errors_len + (size_t)n : sizeof errors - 1;
}

void fk_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report("fakeit: ", fmt, ap);
    va_end(ap);
}

void fk_message(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report("", fmt, ap);
    va_end(ap);
}

void fk_error_clear(void) { errors[0] = 0, errors_len = 0; }
const char *fk_errors(void) { return errors; }
void fk_error_quiet(int q) { quiet = q; }
int fk_error_quiet_get(void) { return quiet; }

void *fk_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    FK_CHECK(p != NULL, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *fk_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    FK_CHECK(p != NULL, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

char *fk_join(const char *dir, const char *name) {
    char *s = fk_malloc(strlen(dir) + strlen(name) + 2);
    sprintf(s, "%s/%s", dir, name);
    return s;
}

char *fk_beside(const char *path, const char *name) {
    const char *slash = strrchr(path, '/');
    const size_t dl = slash ? (size_t)(slash - path + 1) : 0;
    char *s = fk_malloc(dl + strlen(name) + 1);
    memcpy(s, path, dl);
    strcpy(s + dl, name);
    return s;
}

double fk_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **fk_list_dir(const char *dir, int (*keep)(const char *name), size_t *n) {
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) return NULL;
    size_t cap = 16;
    char **names = fk_malloc(cap * sizeof(char *));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (keep && !keep(e->d_name))) continue;
        if (*n == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof(char *));
            FK_CHECK(names != NULL, "out of memory");
        }
        names[(*n)++] = fk_join(dir, e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), by_path);
    return names;
}

void fk_png_path(char *dst, size_t n, const char *dir, const char *src) {
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    const char *dot = strrchr(base, '.');
    snprintf(dst, n, "%s/%.*s.png", dir, dot ? (int)(dot - base) : (int)strlen(base), base);
}

char **fk_expand_input(const char *path, int (*keep)(const char *name), size_t *n) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return fk_list_dir(path, keep, n);
    char **one = fk_malloc(sizeof(char *));
    one[0] = fk_malloc(strlen(path) + 1);
    strcpy(one[0], path);
    *n = 1;
    return one;
}

static volatile sig_atomic_t stop_caught;

static void on_stop(int sig) {
    stop_caught = sig;
    signal(sig, SIG_DFL);  // a second Ctrl-C stops at once
}

void fk_stop_catch(void) {
    stop_caught = 0;
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
}

int fk_stop_signal(void) { return stop_caught; }

void fk_stop_release(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

// mkdir -p of the first `len` bytes of path; errno set on failure.
static int make_dirs(const char *path, size_t len) {
    char *p = fk_malloc(len + 1);
    memcpy(p, path, len);
    p[len] = 0;
    int rc = 0;
    for (char *s = p + 1; !rc; s++) {  // each prefix ending before a '/', then the whole
        const int end = *s == 0;
        if (*s != '/' && !end) continue;
        *s = 0;
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) rc = -1, errno = ENOTDIR;
        if (end) break;
        *s = '/';
    }
    free(p);
    return rc;
}

int fk_mkdirs(const char *path) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    if (len == 0 || make_dirs(path, len) == 0) return 0;
    fk_error("%s: cannot create the folder: %s", path, strerror(errno));
    return -1;
}

int fk_mkparents(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    if (make_dirs(path, (size_t)(slash - path)) == 0) return 0;
    fk_error("%.*s: cannot create the folder: %s", (int)(slash - path), path, strerror(errno));
    return -1;
}

void fk_tune_malloc(void) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}
