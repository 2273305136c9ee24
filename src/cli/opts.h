// opts.h: commands and their options, declared once.
//
// Each command is a Command: its name and one-line summary (for `fakeit
// help`), its usage and description (for `--help`) and a table of OptSpec,
// one row per option: name, kind, the field of the command's options struct
// it sets, its range, its argument's name and its help text. From that one
// table come the getopt_long table, the range checks with their messages and
// the options part of `--help` (with defaults read from the command's own
// defaults function), so the three cannot drift apart.
#ifndef FAKEIT_OPTS_H
#define FAKEIT_OPTS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    OPT_FLAG,     // no argument: stores 1 (0 with .inverse) into an int
    OPT_INT,      // an integer in [lo, hi] into an int
    OPT_LONG,     // into a long
    OPT_U64,      // a non-negative integer (seeds) into a uint64_t
    OPT_REAL,     // a number in [lo, hi] into a double
    OPT_MINUTES,  // minutes in [lo, hi], stored as seconds in a double
    OPT_STR,      // the argument itself into a const char *
    OPT_CHOICE,   // one of .names, its value (.values, or its index) into an int
} OptKind;

// Offsets are stored plus one, so that 0 means "no field".
#define AT(type, field) (offsetof(type, field) + 1)

typedef struct {
    const char *name;          // the long name, without "--"
    char letter;               // the short name ('o' for -o), or 0
    OptKind kind;
    size_t at;                 // AT(type, field): where the value goes
    double lo, hi;             // the range of numbers, inclusive
    const char *arg;           // the argument's name in --help and messages ("N", "FILE")
    const char *help;          // the help text; wrapped to 80 columns
    const char *const *names;  // OPT_CHOICE: the accepted words, NULL-terminated
    const int *values;         // OPT_CHOICE: the int stored for each word (NULL: its index)
    size_t also;               // AT(...) of a second field that gets the same value
    size_t set;                // AT(...) of an int set to 1 when the option is given
    unsigned mark;             // bits or'ed into OptParse.marks when the option is given
    int inverse;               // OPT_FLAG: store 0 instead of 1
    int dflt;                  // --help appends "(default V)" from the defaults
    int required;              // the command refuses to run without it
    const char *(*check)(double v);  // a further rule for numbers: NULL, or what is wrong
} OptSpec;

// One row of a table: the fields every option has, then any others by name
// (.dflt = 1, .names = ..., ...).
#define OPT(nm, ltr, kd, fld, l, h, ar, hl, ...) \
    {.name = nm, .letter = ltr, .kind = kd, .at = fld, .lo = l, .hi = h, .arg = ar, .help = hl, __VA_ARGS__}

// The options every computing command shares.
#define OPT_THREADS(type) \
    OPT("threads", 0, OPT_INT, AT(type, threads), 1, 1024, "N", "CPU threads (default: all cores)")
#define OPT_BACKEND(type)                                                                          \
    OPT("backend", 0, OPT_STR, AT(type, backend), 0, 0, "NAME",                                        \
     "compute backend (default: the fastest that runs here; fakeit backends lists them)"),         \
    OPT("precision", 0, OPT_STR, AT(type, precision), 0, 0, "P",                                     \
        "arithmetic of convolutions and matrix products: fp32 (default, what the tests check), or the " \
        "speed modes tf32 or bf16 where the backend has them (fp32 weights and sums)")
#define OPT_SEED(type, field, what) {"seed", 0, OPT_U64, AT(type, field), 0, 0, "N", what, .dflt = 1}

typedef struct {
    char **pos;       // the positional arguments, in order
    int n_pos;
    unsigned marks;   // the .mark bits of the options given
    unsigned long long given;  // bit i: the command's option i was given
} OptParse;

typedef struct Command Command;

struct Command {
    const char *name;
    const char *group;     // where `fakeit help` lists it: "data", "training", "other"
    const char *synopsis;  // its arguments in `fakeit help`
    const char *summary;   // one line for `fakeit help`
    const char *usage;     // the usage lines of --help (each starting "fakeit NAME")
    const char *about;     // what it does, for --help (paragraphs, wrapped as written)
    const OptSpec *opts;
    int n_opts;
    size_t size;                   // the options struct
    void (*defaults)(void *opts);  // fills it with the defaults (NULL: all zero)
    int min_pos, max_pos;          // positional arguments allowed (max -1: any number)
    const char *pos;               // their name in messages ("DIR|FILE...")
    int parallel;                  // 1: runs as N processes under mpirun, splitting its work (dist/dist.h)
    const char *docs;              // the manual's page that covers it ("docs/training.md"), the end of --help
    // The work, on the parsed options (NULL when size is 0): checks what the
    // table cannot say, calls the library and returns the exit status.
    int (*exec)(const Command *cmd, void *opts, const OptParse *p);
};

enum { OPTS_OK = 0, OPTS_HELP = 1, OPTS_BAD = -1 };

// Parses argv (argv[0] is the command's name) into the options struct
// `opts`, which it first fills with the command's defaults. OPTS_HELP after
// printing --help to stdout; OPTS_BAD after printing what is wrong to stderr
// (the caller exits with status 2).
int opts_parse(const Command *cmd, int argc, char **argv, void *opts, OptParse *p);
// The command's --help: usage, description, every option with its default.
void opts_help(const Command *cmd, FILE *f);
// Prints "fakeit NAME: MESSAGE[: ARG]" and where the options are described;
// returns 2, the exit status of a usage error.
int opts_usage_error(const Command *cmd, const char *msg, const char *arg);

// The whole command: parse argv (argv[0] its name), then its exec; 0 after
// --help, 2 after a usage error.
int opts_run(const Command *cmd, int argc, char **argv);

#endif
