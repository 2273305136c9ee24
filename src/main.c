// main.c: the fakeit command line. Thin: parses options, calls the library.
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "safetensors.h"

#define FAKEIT_VERSION "0.1.0"

static void usage(FILE *f) {
    fputs("usage: fakeit COMMAND [ARGS]\n"
          "\n"
          "fakeit learns to fake images with a Wasserstein GAN.\n"
          "\n"
          "commands:\n"
          "  backends            list the compute backends this build has\n"
          "  inspect FILE        list the tensors of a safetensors file (checkpoint, fixture)\n"
          "  version             print the version\n"
          "  help                print this help\n",
          f);
}

static int cmd_backends(void) {
    const Backend *def = backend_default();
    for (const Backend *const *b = backend_all(); *b; b++)
        printf("%-6s %s%s\n", (*b)->name, (*b)->description, *b == def ? " [default]" : "");
    return 0;
}

static int cmd_inspect(const char *path) {
    StFile f;
    if (st_load(&f, path) != 0) return 1;
    size_t total = 0;
    for (int i = 0; i < f.n; i++) {
        const StTensor *t = &f.tensors[i];
        printf("%-60s %-4s [", t->name, st_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
        printf("]\n");
        total += st_numel(t);
    }
    printf("%d tensors, %zu values\n", f.n, total);
    if (f.metadata) printf("metadata: %s\n", f.metadata);
    st_free(&f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("fakeit %s\n", FAKEIT_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "backends") && argc == 2) return cmd_backends();
    if (!strcmp(cmd, "inspect") && argc == 3) return cmd_inspect(argv[2]);
    if (!strcmp(cmd, "backends") || !strcmp(cmd, "inspect")) {
        fprintf(stderr, "fakeit: wrong arguments for '%s'\n", cmd);
    } else {
        fprintf(stderr, "fakeit: unknown command '%s'\n", cmd);
    }
    fputs("run 'fakeit help' for the list of commands\n", stderr);
    return 2;
}
