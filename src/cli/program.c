// program.c: the fakeit program as a library function, fk_main (include/
// fakeit.h): the table of commands and the ones that only report (backends,
// inspect, version, help). Each command's options and work are in its
// group's file (data.c, gan.c, eval.c, sr.c, share.c). The program itself
// (main.c) is a client of the API: it calls fk_main.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "cli/commands.h"
#include "dist/dist.h"
#include "nn/safetensors.h"
#include "util/util.h"
#include "util/version.h"

static int exec_backends(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts, (void)p;
    const Backend *def = backend_default();
    const Backend *const *built = backend_built();
    int cuda_listed = 0;
    for (const Backend *const *b = built; *b; b++) cuda_listed |= strcmp((*b)->name, "cuda") == 0;
    (void)cuda_listed;
#ifdef FAKEIT_HAVE_CUDA
    if (!cuda_listed) printf("cuda   not usable here: %s\n", backend_unavailable("cuda"));
#endif
    for (const Backend *const *b = built; *b; b++) {
        printf("%-6s %s%s\n", (*b)->name, (*b)->description, *b == def ? " [default]" : "");
        if ((*b)->describe) {
            char line[512];
            (*b)->describe(line, sizeof line);
            printf("       %s\n", line);
        }
    }
    return 0;
}

static int exec_inspect(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts;
    StFile f;
    if (st_load(&f, p->pos[0]) != 0) return 1;
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

static int exec_version(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts, (void)p;
    printf("fakeit %s\n", FAKEIT_VERSION);
    return 0;
}

static void usage(FILE *f);

static int exec_help(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts, (void)p;
    usage(stdout);
    return 0;
}

static const Command cmd_backends = {
    .docs = "docs/commands.md", .name = "backends", .group = "other", .summary = "list the compute backends this build has",
    .usage = "fakeit backends", .about = "Lists the compute backends of this build; the default is marked.\n",
    .exec = exec_backends,
};
static const Command cmd_inspect = {
    .docs = "docs/commands.md", .name = "inspect", .group = "other", .synopsis = "FILE",
    .summary = "list the tensors of a safetensors file (checkpoint, fixture)", .usage = "fakeit inspect FILE",
    .about = "Lists the tensors of a safetensors file (name, dtype, shape) and its metadata.\n", .min_pos = 1,
    .max_pos = 1, .pos = "FILE (a safetensors file)", .exec = exec_inspect,
};
static const Command cmd_version = {
    .docs = "docs/commands.md", .name = "version", .group = "other", .summary = "print the version", .usage = "fakeit version",
    .exec = exec_version,
};
static const Command cmd_help = {
    .docs = "docs/commands.md", .name = "help", .group = "other", .summary = "print this help", .usage = "fakeit help", .exec = exec_help,
};

static const Command *const commands[] = {
    &cmd_prepare, &cmd_info,    &cmd_bikes,    &cmd_train,    &cmd_sample,  &cmd_interp,  &cmd_report,  &cmd_srtrain,
    &cmd_upscale, &cmd_sreval,  &cmd_eval,     &cmd_export,   &cmd_backends, &cmd_inspect, &cmd_version, &cmd_help,
};
#define N_COMMANDS (int)(sizeof commands / sizeof *commands)

static void usage(FILE *f) {
    fputs("usage: fakeit COMMAND [ARGS]\n\nfakeit learns to fake images with a Wasserstein GAN.\n", f);
    static const char *const groups[] = {"data", "training", "other"};
    for (int g = 0; g < 3; g++) {
        fprintf(f, "\n%s:\n", groups[g]);
        for (int i = 0; i < N_COMMANDS; i++) {
            const Command *c = commands[i];
            if (strcmp(c->group, groups[g])) continue;
            char left[96];
            const int w = snprintf(left, sizeof left, "  %s%s%s", c->name, c->synopsis ? " " : "",
                                   c->synopsis ? c->synopsis : "");
            if (w + 1 > 36) fprintf(f, "%s\n%36s%s\n", left, "", c->summary);
            else fprintf(f, "%s%*s%s\n", left, 36 - w, "", c->summary);
        }
    }
    fputs("\n'fakeit COMMAND --help' describes a command's options.\n", f);
    fputs("The manual: README.md and docs/ in fakeit's source (docs/commands.md for these).\n", f);
}

int fk_main(int argc, char **argv) {
    fk_tune_malloc();
    fk_error_clear();
    backend_check_all();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) name = "help";
    if (!strcmp(name, "--version")) name = "version";
    const Command *cmd = NULL;
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i]->name, name)) cmd = commands[i];
    if (!cmd) {
        fprintf(stderr, "fakeit: unknown command '%s'\nrun 'fakeit help' for the list of commands\n", name);
        return 2;
    }
    // under mpirun: join the job; only rank 0 prints
    if (dist_init() != 0) return 2;
    int rc = 2;
    if (dist_size() > 1 && !cmd->parallel) {
        if (dist_lead())
            fk_error("%s does not run as %d processes under mpirun (train, sample and upscale do): run it as one "
                     "process", name, dist_size());
    } else {
        const int quiet = fk_error_quiet_get();
        if (!dist_lead()) {  // the other ranks' messages are kept, and shown below only if rank 0 had none
            if (!freopen("/dev/null", "w", stdout)) fk_error("cannot silence rank %d's output", dist_rank());
            fk_error_quiet(1);
        }
        if (dist_size() > 1) {
            dist_local_size();  // every process together (a collective call); known from then on
            if (!getenv("OMP_NUM_THREADS")) host_set_threads(dist_threads_share());
        }
        rc = opts_run(cmd, argc - 1, argv + 1);
        fk_error_quiet(quiet);
        // a failure of this rank alone (rank 0 succeeded) is told with its rank
        const int lead_rc = dist_max_int(dist_lead() ? rc : 0);
        if (!dist_lead() && rc && !lead_rc && !quiet) {
            const char *e = fk_errors();
            fprintf(stderr, "fakeit: rank %d of %d failed (exit %d)%s%s\n", dist_rank(), dist_size(), rc,
                    *e ? ": " : "", e);
        }
    }
    rc = dist_max_int(rc);  // the job's status: the worst rank's
    dist_finalize();
    return rc;
}
