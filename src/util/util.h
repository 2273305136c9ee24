// util.h: errors, always-on invariant checks, checked allocation.
//
// Two kinds of failure, kept apart on purpose:
//   - the outside world is wrong (a file, an option, a checkpoint): the caller
//     reports with fk_error() naming the file and what to do, and returns an
//     error code up to main(), which exits non-zero;
//   - fakeit itself is wrong (a broken invariant, a shape mismatch between
//     layers): FK_CHECK aborts with file:line. It is on in every build.
#ifndef FAKEIT_UTIL_H
#define FAKEIT_UTIL_H

#include <stddef.h>

#define FK_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (!(cond)) fk_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);          \
    } while (0)

_Noreturn void fk_fail(const char *file, int line, const char *cond,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// const char sym[]: the bytes of a file of the source tree, NUL-terminated,
// compiled into the program (the assembler's .incbin; `path` is relative to
// the folder the build runs in, the repository's root). For text that reads
// best in its own language: the run report's script and style sheet. The
// Makefile makes the object depend on the file.
#define FK_EMBED(sym, path)                                                                                \
    __asm__(".pushsection .rodata\n.balign 16\n.local " #sym "\n.type " #sym ", @object\n" #sym ":\n"     \
            ".incbin \"" path "\"\n.byte 0\n.size " #sym ", . - " #sym "\n.popsection\n");                  \
    extern const char sym[]

// Prints "fakeit: <message>" to stderr. For errors the user can act on.
// Each message is also kept (per thread) until fk_error_clear(): fk_errors()
// returns them, one per line, for the library's fk_last_error().
// fk_error_quiet(1) stops the printing (the library's fk_set_quiet).
void fk_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// The same for a message printed as it is (no "fakeit: " prefix).
void fk_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fk_error_clear(void);
const char *fk_errors(void);
void fk_error_quiet(int quiet);
int fk_error_quiet_get(void);

// malloc/calloc that abort on exhaustion (an out-of-memory host is not
// something the caller can repair mid-step).
void *fk_malloc(size_t bytes);
void *fk_calloc(size_t n, size_t size);

// "dir/name", malloc'd.
char *fk_join(const char *dir, const char *name);
// `name` in the folder of the file `path` ("a/b.fkd", "x.png" -> "a/x.png";
// no folder: "x.png"), malloc'd.
char *fk_beside(const char *path, const char *name);

// The entries of a folder whose names `keep` accepts (hidden ones never), as
// sorted malloc'd "dir/name" paths, *n of them; free each and the array.
// NULL (errno set) when the folder cannot be read.
char **fk_list_dir(const char *dir, int (*keep)(const char *name), size_t *n);

// A command-line input: a folder gives its entries `keep` accepts (as
// fk_list_dir), anything else itself; malloc'd paths, *n of them. NULL (errno
// set) when a folder cannot be read.
char **fk_expand_input(const char *path, int (*keep)(const char *name), size_t *n);

// Creates folder `path` and any missing parent folders (mkdir -p). Returns
// 0, or -1 after printing "PATH: cannot create the folder: reason".
int fk_mkdirs(const char *path);
// Creates the missing parent folders of the file `path`; 0, or -1 after printing.
int fk_mkparents(const char *path);

// "dir/<src's file name without its extension>.png" into dst (n bytes).
void fk_png_path(char *dst, size_t n, const char *dir, const char *src);

// Ctrl-C / SIGTERM during a long run: fk_stop_catch() arms both (a second
// signal then stops at once), fk_stop_signal() is the signal caught so far
// (0: none), fk_stop_release() restores the defaults.
void fk_stop_catch(void);
int fk_stop_signal(void);
void fk_stop_release(void);

// Seconds on a monotonic clock, for durations.
double fk_seconds(void);

// The fakeit program's memory allocator settings, made once at its start
// (fk_main; the benchmarks that stand for it call it too): glibc serves
// allocations of 1 MB and more as their own mappings, given back whole when
// freed. With its default, a freed mapping raises that threshold, later large
// buffers (the backend's scratch as it grows, oneDNN's) come from the heap,
// and the holes they leave raise the peak memory (oneDNN held to AVX2: 410 ->
// 316 MB at 64 px, 1,222 -> 1,148 at 128; AVX-512 unchanged; the same speed).
// The price: a buffer of 1 MB or more allocated per call comes as fresh
// pages every time; oneDNN's AVX2 matrix product allocates 2.5 MB per thread
// and call, which is why the AVX2 rule keeps it off the large passes
// (dnnl.c). Nothing on other C libraries.
void fk_tune_malloc(void);

#endif
