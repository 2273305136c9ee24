// opts.c: getopt tables, range checks and --help, all from a command's table.
#include "cli/opts.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define HELP_COLUMN 24  // where an option's help text starts
#define HELP_WIDTH 79

static void *field(void *opts, size_t at) { return (char *)opts + at - 1; }

int opts_usage_error(const Command *cmd, const char *msg, const char *arg) {
    fk_message("fakeit %s: %s%s%s", cmd->name, msg, arg ? ": " : "", arg ? arg : "");
    fk_message("run 'fakeit %s --help' for its options", cmd->name);
    return 2;
}

// %g without the exponent's padding: 5e-05 -> 5e-5, 1e+06 -> 1e6.
static void fmt_num(char *buf, size_t n, double v) {
    char t[64];
    snprintf(t, sizeof t, "%g", v);
    char *e = strchr(t, 'e');
    if (e) {
        const int x = atoi(e + 1);
        *e = 0;
        snprintf(buf, n, "%.24se%d", t, x);
    } else {
        snprintf(buf, n, "%s", t);
    }
}

static int integer_kind(OptKind k) { return k == OPT_INT || k == OPT_LONG || k == OPT_U64; }

// The upper bound means "no bound": the type's largest value, or infinity.
static int unbounded(const OptSpec *s) {
    return s->kind == OPT_U64 || (s->kind == OPT_INT && s->hi >= INT_MAX) ||
           (s->kind == OPT_LONG && s->hi >= (double)LONG_MAX) || isinf(s->hi);
}

// What the option's argument must be: "is pad or crop", "needs an integer from 8 to 4096".
static void rule_text(const OptSpec *s, char *buf, size_t n) {
    if (s->kind == OPT_CHOICE) {
        int k = 0;
        while (s->names[k]) k++;
        size_t used = (size_t)snprintf(buf, n, "is ");
        for (int i = 0; i < k && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", s->names[i],
                                     i == k - 1 ? "" : i == k - 2 ? " or " : ", ");
        return;
    }
    char lo[32], hi[32];
    if (integer_kind(s->kind)) snprintf(lo, sizeof lo, "%.0f", s->lo), snprintf(hi, sizeof hi, "%.0f", s->hi);
    else fmt_num(lo, sizeof lo, s->lo), fmt_num(hi, sizeof hi, s->hi);
    const char *what = integer_kind(s->kind) ? "an integer" : "a number";
    const char *unit = s->kind == OPT_MINUTES ? " (minutes)" : "";
    if (!unbounded(s))
        snprintf(buf, n, "needs %s from %s to %s%s", what, lo, hi, unit);
    else if (s->lo == 0)
        snprintf(buf, n, "needs a non-negative %s%s", integer_kind(s->kind) ? "integer" : "number", unit);
    else if (s->lo == 1 && integer_kind(s->kind))
        snprintf(buf, n, "needs a positive integer");
    else
        snprintf(buf, n, "needs %s of at least %s%s", what, lo, unit);
}

static size_t value_size(OptKind k) {
    return k == OPT_STR ? sizeof(char *) : k == OPT_REAL || k == OPT_MINUTES ? sizeof(double)
           : k == OPT_LONG ? sizeof(long) : k == OPT_U64 ? sizeof(uint64_t) : sizeof(int);
}

// Stores the argument of spec s; NULL, or what is wrong with it ("": the rule).
static const char *store(const OptSpec *s, const char *arg, void *opts) {
    void *dst = field(opts, s->at);
    double v = 0;
    if (s->kind == OPT_FLAG) {
        v = !s->inverse;
        *(int *)dst = (int)v;
    } else if (s->kind == OPT_STR) {
        *(const char **)dst = arg;
    } else if (s->kind == OPT_CHOICE) {
        int k = 0;
        while (s->names[k] && strcmp(s->names[k], arg)) k++;
        if (!s->names[k]) return "";
        v = s->values ? s->values[k] : k;
        *(int *)dst = (int)v;
    } else {
        char *end;
        errno = 0;
        v = integer_kind(s->kind) ? (double)strtol(arg, &end, 10) : strtod(arg, &end);
        const double lo = s->kind == OPT_U64 ? 0 : s->lo, hi = s->kind == OPT_U64 ? (double)LONG_MAX : s->hi;
        if (errno || end == arg || *end || !(v >= lo && v <= hi)) return "";
        const char *why = s->check ? s->check(v) : NULL;
        if (why) return why;
        if (s->kind == OPT_INT) *(int *)dst = (int)v;
        else if (s->kind == OPT_LONG) *(long *)dst = strtol(arg, NULL, 10);
        else if (s->kind == OPT_U64) *(uint64_t *)dst = (uint64_t)strtol(arg, NULL, 10);
        else *(double *)dst = s->kind == OPT_MINUTES ? v * 60 : v;
    }
    if (s->also) memcpy(field(opts, s->also), dst, value_size(s->kind));
    if (s->set) *(int *)field(opts, s->set) = 1;
    return NULL;
}

static void option_name(const OptSpec *s, char *buf, size_t n) {
    if (s->letter) snprintf(buf, n, "-%c %s", s->letter, s->arg ? s->arg : "");
    else snprintf(buf, n, "--%s%s%s", s->name, s->arg ? " " : "", s->arg ? s->arg : "");
}

int opts_parse(const Command *cmd, int argc, char **argv, void *opts, OptParse *p) {
    memset(p, 0, sizeof *p);
    FK_CHECK(cmd->n_opts <= 64, "%s: more options than OptParse.given has bits", cmd->name);
    if (opts && cmd->defaults) cmd->defaults(opts);
    struct option *lo = fk_calloc((size_t)cmd->n_opts + 2, sizeof *lo);
    char shorts[64] = "h";
    size_t ns = 1;
    for (int i = 0; i < cmd->n_opts; i++) {
        const OptSpec *s = &cmd->opts[i];
        lo[i] = (struct option){s->name, s->kind == OPT_FLAG ? no_argument : required_argument, NULL, 256 + i};
        if (s->letter && ns + 2 < sizeof shorts) {
            shorts[ns++] = s->letter;
            if (s->kind != OPT_FLAG) shorts[ns++] = ':';
        }
    }
    shorts[ns] = 0;
    lo[cmd->n_opts] = (struct option){"help", no_argument, NULL, 'h'};
    char *given = fk_calloc((size_t)cmd->n_opts + 1, 1);
    int rc = OPTS_OK, c;
    opterr = 0;
    optind = 0;  // a fresh scan (GNU getopt)
    while (rc == OPTS_OK && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        int i = c >= 256 ? c - 256 : -1;
        for (int k = 0; k < cmd->n_opts && i < 0 && c != 'h' && c != '?'; k++)
            if (cmd->opts[k].letter == c) i = k;
        if (c == 'h') {
            opts_help(cmd, stdout);
            rc = OPTS_HELP;
        } else if (i < 0) {
            opts_usage_error(cmd, "unknown or incomplete option", argv[optind - 1]);
            rc = OPTS_BAD;
        } else {
            const OptSpec *s = &cmd->opts[i];
            const char *why = store(s, optarg, opts);
            if (why) {
                char name[80], rule[200], msg[300];
                if (s->letter) snprintf(name, sizeof name, "-%c", s->letter);
                else snprintf(name, sizeof name, "--%s", s->name);
                rule_text(s, rule, sizeof rule);
                snprintf(msg, sizeof msg, "%s %s", name, *why ? why : rule);
                opts_usage_error(cmd, msg, optarg);
                rc = OPTS_BAD;
            }
            given[i] = 1;
            p->marks |= s->mark;
            p->given |= 1ULL << i;
        }
    }
    for (int i = 0; i < cmd->n_opts && rc == OPTS_OK; i++)
        if (cmd->opts[i].required && !given[i]) {
            char name[80], msg[120];
            option_name(&cmd->opts[i], name, sizeof name);
            snprintf(msg, sizeof msg, "%s is required", name);
            rc = (opts_usage_error(cmd, msg, NULL), OPTS_BAD);
        }
    if (rc == OPTS_OK) {
        p->pos = argv + optind, p->n_pos = argc - optind;
        char msg[200];
        snprintf(msg, sizeof msg, "missing %s", cmd->pos ? cmd->pos : "arguments");
        if (p->n_pos < cmd->min_pos) rc = (opts_usage_error(cmd, msg, NULL), OPTS_BAD);
        else if (cmd->max_pos >= 0 && p->n_pos > cmd->max_pos)
            rc = (opts_usage_error(cmd, "unexpected argument", p->pos[cmd->max_pos]), OPTS_BAD);
    }
    free(lo), free(given);
    return rc;
}

// ---------------------------------------------------------------------------
// --help

// The value of spec s in the defaults, as --help shows it (empty: none).
static void default_text(const OptSpec *s, const void *d, char *buf, size_t n) {
    const void *v = (const char *)d + s->at - 1;
    buf[0] = 0;
    switch (s->kind) {
    case OPT_INT: snprintf(buf, n, "%d", *(const int *)v); break;
    case OPT_LONG: snprintf(buf, n, "%ld", *(const long *)v); break;
    case OPT_U64: snprintf(buf, n, "%" PRIu64, *(const uint64_t *)v); break;
    case OPT_REAL: fmt_num(buf, n, *(const double *)v); break;
    case OPT_MINUTES:
        if (*(const double *)v > 0) fmt_num(buf, n, *(const double *)v / 60);
        else snprintf(buf, n, "none");
        break;
    case OPT_STR:
        if (*(const char *const *)v) snprintf(buf, n, "%s", *(const char *const *)v);
        break;
    case OPT_CHOICE:
        for (int k = 0; s->names[k]; k++)
            if ((s->values ? s->values[k] : k) == *(const int *)v) snprintf(buf, n, "%s", s->names[k]);
        break;
    case OPT_FLAG: break;
    }
}

// Words of text from column `col`, wrapped at HELP_WIDTH, continuation lines
// indented to `indent`; "\n" in the text breaks the line.
static void wrap(FILE *f, const char *text, int col, int indent) {
    const char *w = text;
    while (*w) {
        if (*w == '\n') {
            fprintf(f, "\n%*s", indent, "");
            col = indent, w++;
            continue;
        }
        if (*w == ' ') {
            w++;
            continue;
        }
        const size_t len = strcspn(w, " \n");
        if (col > indent && col + 1 + (int)len > HELP_WIDTH) fprintf(f, "\n%*s", indent, ""), col = indent;
        else if (col > indent) fputc(' ', f), col++;
        fwrite(w, 1, len, f);
        col += (int)len, w += len;
    }
    fputc('\n', f);
}

static void help_options(const Command *cmd, FILE *f);

void opts_help(const Command *cmd, FILE *f) {
    const char *u = cmd->usage;
    for (int first = 1; *u; first = 0) {
        const size_t len = strcspn(u, "\n");
        fprintf(f, "%s%.*s\n", first ? "usage: " : "       ", (int)len, u);
        u += len + (u[len] == '\n');
    }
    if (cmd->about) fprintf(f, "\n%s", cmd->about);
    if (cmd->n_opts) help_options(cmd, f);
    if (cmd->docs) fprintf(f, "\nThe manual: %s in fakeit's source (README.md links every page).\n", cmd->docs);
}

static void help_options(const Command *cmd, FILE *f) {
    void *d = cmd->size ? fk_calloc(1, cmd->size) : NULL;
    if (d && cmd->defaults) cmd->defaults(d);
    fputs("\noptions:\n", f);
    for (int i = 0; i < cmd->n_opts; i++) {
        const OptSpec *s = &cmd->opts[i];
        char left[96], text[600], dv[64] = "";
        const char *arg = s->arg ? s->arg : "", *sp = s->arg ? " " : "";
        const int lw = s->letter ? snprintf(left, sizeof left, "  -%c, --%s%s%s", s->letter, s->name, sp, arg)
                                 : snprintf(left, sizeof left, "  --%s%s%s", s->name, sp, arg);
        if (s->dflt && d) default_text(s, d, dv, sizeof dv);
        snprintf(text, sizeof text, "%s%s%s%s%s", s->help ? s->help : "", s->required ? " (required)" : "",
                 dv[0] ? " (default " : "", dv, dv[0] ? ")" : "");
        if (lw + 1 > HELP_COLUMN) fprintf(f, "%s\n%*s", left, HELP_COLUMN, "");
        else fprintf(f, "%s%*s", left, HELP_COLUMN - lw, "");
        wrap(f, text, HELP_COLUMN, HELP_COLUMN);
    }
    fputs("  -h, --help            this help\n", f);
    free(d);
}

int opts_run(const Command *cmd, int argc, char **argv) {
    void *o = cmd->size ? fk_calloc(1, cmd->size) : NULL;
    OptParse p;
    int rc = opts_parse(cmd, argc, argv, o, &p);
    rc = rc == OPTS_HELP ? 0 : rc == OPTS_BAD ? 2 : cmd->exec(cmd, o, &p);
    free(o);
    return rc;
}
