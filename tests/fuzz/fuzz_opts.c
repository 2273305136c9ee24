// fuzz_opts.c: the command-line option parser of every command on arbitrary
// argument lists: the input is the command's index (first byte) and its
// arguments separated by NUL bytes. Parsing only: nothing is executed.
#include "cli/commands.h"
#include "cli/opts.h"
#include "fuzz.h"

static const Command *const commands[] = {&cmd_prepare, &cmd_info,    &cmd_bikes,   &cmd_train,  &cmd_sample, &cmd_interp,
                                          &cmd_eval,    &cmd_upscale, &cmd_srtrain, &cmd_sreval};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1 || n > 4096) return 0;
    const Command *cmd = commands[data[0] % (sizeof commands / sizeof *commands)];
    char *buf = fk_malloc(n + 1);
    memcpy(buf, data + 1, n - 1);
    buf[n - 1] = 0;
    char *argv[65];
    int argc = 0;
    argv[argc++] = (char *)cmd->name;
    for (char *p = buf; p < buf + n - 1 && argc < 64; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;
    void *o = cmd->size ? fk_calloc(1, cmd->size) : NULL;
    OptParse parse;
    opts_parse(cmd, argc, argv, o, &parse);
    free(o), free(buf);
    return 0;
}
