// eval.c: the eval command.
#include "cli/commands.h"
#include "eval/evaluate.h"

#define E EvalOpts
static const OptSpec eval_opts[] = {
    OPT("real", 0, OPT_STR, AT(E, real), 0, 0, "DATA.fkd", "the real images, e.g. a held-out test set", .required = 1),
    OPT("fake", 0, OPT_STR, AT(E, fake), 0, 0, "PATH", "the fakes: a model or run folder, a folder of images or a data set",
     .required = 1),
    OPT("count", 'n', OPT_INT, AT(E, n), 2, 1000000, "N", "images per set (at most half the reals)", .dflt = 1),
    OPT("train", 0, OPT_STR, AT(E, train), 0, 0, "DATA.fkd", "training set for copy detection (default: --real)"),
    OPT("output", 'o', OPT_STR, AT(E, out_dir), 0, 0, "DIR",
     "where eval.json and nearest.png go (default: the run folder for a run, else the current folder)"),
    OPT("sheet", 0, OPT_STR, AT(E, sheet), 0, 0, "FILE.png", "write nearest.png as FILE.png instead (eval.json beside it)"),
    OPT("json", 0, OPT_FLAG, AT(E, json), 0, 0, NULL, "print every figure as one JSON object on the last line"),
    OPT("swd-only", 0, OPT_FLAG, AT(E, swd_only), 0, 0, NULL, "only the sliced Wasserstein distance (fast)"),
    OPT_SEED(E, seed, "seed for the choice of images, patches, noise"),
    OPT_THREADS(E),
    OPT_BACKEND(E),
};
#undef E

static void eval_defaults_v(void *o) { eval_defaults(o); }

static int exec_eval(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)p;
    return eval_run(opts);
}

const Command cmd_eval = {
    .docs = "docs/evaluation.md", .name = "eval", .group = "training", .synopsis = "--real DATA.fkd --fake MODEL|DIR|DATA.fkd",
    .summary = "measure fakes: SWD, copies, mode collapse",
    .usage = "fakeit eval --real DATA.fkd --fake MODEL|DIR|DATA.fkd [-n N] [--json] [options]",
    .about = "Measures fakes against real images:\n"
             "  - sliced Wasserstein distance (Karras et al. 2018) per Laplacian pyramid\n"
             "    level and averaged, beside the same figure for two disjoint sets of real\n"
             "    images (what a perfect generator would score at this set size);\n"
             "  - copy detection: each fake's nearest training image (pixel L2, at full\n"
             "    size and 1/4 size) against the typical distance between training images;\n"
             "    nearest.png shows the closest fakes over their training images;\n"
             "  - a mode-collapse alarm from the fakes' diversity against the reals'.\n"
             "Every figure also goes to eval.json beside nearest.png: in the run folder for\n"
             "a run (RUN_DIR or RUN_DIR/netG.safetensors), else in the current folder or\n"
             "-o DIR; a model file's folder (an installed model) is never written to. A\n"
             "file that cannot be written is an error (exit 1). (For a run folder:\n"
             "RUN_DIR/eval.json, which the run's report.html shows).\n"
             "MODEL is a generator (RUN_DIR/netG.safetensors, or the run folder RUN_DIR:\n"
             "N fakes are drawn), DIR a folder of images (centre-cropped to the real\n"
             "size), or a data set.\n",
    .opts = eval_opts, .n_opts = sizeof eval_opts / sizeof *eval_opts, .size = sizeof(EvalOpts),
    .defaults = eval_defaults_v, .max_pos = 0, .exec = exec_eval,
};
