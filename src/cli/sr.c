// sr.c: the super-resolution commands: upscale, sr-train, sr-eval.
#include <limits.h>

#include "cli/commands.h"
#include "sr/sreval.h"
#include "sr/upscale.h"
#include "train/srtrain.h"

static const char *const scale_names[] = {"4", "2", NULL};
static const int scale_values[] = {4, 2};

// ---------------------------------------------------------------------------
// fakeit upscale

static const char *tile_rule(double v) { return v > 0 && v < 8 ? "needs 0 (whole images) or at least 8 pixels" : NULL; }

#define U UpscaleOpts
static const OptSpec upscale_opts[] = {
    OPT("output", 'o', OPT_STR, AT(U, out), 0, 0, "OUT",
     "output folder (or .png file for one input); created with its parents", .required = 1),
    OPT("model", 0, OPT_STR, AT(U, model), 0, 0, "FILE",
     "the super-resolution model (default: models/bikes-x4); bicubic: bicubic interpolation instead"),
    OPT("scale", 0, OPT_CHOICE, AT(U, scale), 0, 0, "4|2",
     "the factor for bicubic (default 4); with a model, a check that the model has it", .names = scale_names,
     .values = scale_values),
    OPT("tile", 0, OPT_INT, AT(U, tile), 0, 100000, "T", "input pixels per tile side (0: whole images)", .dflt = 1,
     .check = tile_rule),
    OPT("max-pixels", 0, OPT_REAL, AT(U, max_pixels), 1, 1e12, "N",
     "refuse (skip) an image whose output would have more than N pixels; one that cannot fit in the memory left is "
     "refused too, with the estimate", .dflt = 1),
    OPT_THREADS(U),
    OPT_BACKEND(U),
};
#undef U

static void upscale_defaults_v(void *o) { upscale_defaults(o); }

static int exec_upscale(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd;
    UpscaleOpts *o = opts;
    o->inputs = (const char **)p->pos, o->n_inputs = p->n_pos;
    return upscale_run(o);
}

const Command cmd_upscale = {
    .docs = "docs/super-resolution.md", .name = "upscale", .group = "training", .synopsis = "IN... -o OUT",
    .summary = "super-resolution of images or folders",
    .usage = "fakeit upscale IN... -o OUT [--model SR_MODEL|bicubic] [--tile T]",
    .about = "Upscales images (files, or every image file of a folder) with a fakeit\n"
             "super-resolution model (x2 or x4); without --model, the bike model shipped\n"
             "in models/ (or $FAKEIT_SR_MODEL). Any image size runs in bounded memory:\n"
             "the network sees overlapping tiles whose margins cover its receptive field,\n"
             "so the tiles join without seams (equal to the untiled result). Alpha is kept\n"
             "(resized apart). Outputs are PNG: OUT/<name>.png, or OUT itself when it ends\n"
             "in .png and there is one input file. An unreadable input is reported and\n"
             "skipped; the others are still written (exit status 1).\n",
    .opts = upscale_opts, .n_opts = sizeof upscale_opts / sizeof *upscale_opts, .size = sizeof(UpscaleOpts),
    .defaults = upscale_defaults_v, .min_pos = 1, .max_pos = -1, .pos = "IN... (images or folders)",
    .exec = exec_upscale, .parallel = 1,
};

// ---------------------------------------------------------------------------
// fakeit sr-train

static const char *const skip_names[] = {"bicubic", "nearest", NULL};
static const int skip_values[] = {UPSAMPLE_BICUBIC, UPSAMPLE_NEAREST};

#define R SrTrainOpts
static const OptSpec srtrain_opts[] = {
    OPT("output", 'o', OPT_STR, AT(R, out), 0, 0, "SR_MODEL", "the model to write", .required = 1),
    OPT("scale", 0, OPT_CHOICE, AT(R, cfg.scale), 0, 0, "4|2", "upscaling factor", .names = scale_names,
     .values = scale_values, .dflt = 1),
    OPT("iters", 0, OPT_LONG, AT(R, iters), 1, LONG_MAX, "N", "steps to reach", .dflt = 1, .set = AT(R, iters_given)),
    OPT("patch", 0, OPT_INT, AT(R, patch), 8, 512, "P", "low-resolution crop side", .dflt = 1),
    OPT("batch", 0, OPT_INT, AT(R, batch), 1, 4096, "B", "crops per step", .dflt = 1),
    OPT("lr", 0, OPT_REAL, AT(R, lr), 0, 10, "X", "Adam learning rate at step 0, cosine down to 0 at --iters",
     .dflt = 1),
    OPT("adversarial", 0, OPT_REAL, AT(R, adversarial), 0, 1e6, "W",
     "add W x the score of a WGAN-GP critic trained on the crops against the outputs (0: L1 alone; e.g. 1e-3; "
     "needs patch x scale a power of two, >= 16)", .dflt = 1),
    OPT("blur", 0, OPT_REAL, AT(R, blur), 0, 10, "S", "largest blur sigma in LR pixels (0: none)", .dflt = 1),
    OPT("noise", 0, OPT_REAL, AT(R, noise), 0, 255, "S", "largest noise std on the 0-255 scale (0: none)", .dflt = 1),
    OPT("feats", 0, OPT_INT, AT(R, cfg.feats), 1, 1024, "F", "network width", .dflt = 1),
    OPT("nconv", 0, OPT_INT, AT(R, cfg.nconv), 0, 200, "N", "body depth", .dflt = 1),
    OPT("skip", 0, OPT_CHOICE, AT(R, cfg.skip), 0, 0, "bicubic|nearest",
     "the skip's upsampling (nearest is Real-ESRGAN's)", .names = skip_names, .values = skip_values, .dflt = 1),
    OPT("save-every", 0, OPT_INT, AT(R, save_every), 1, INT_MAX, "N", "checkpoint every N steps", .dflt = 1),
    OPT("time-limit", 0, OPT_MINUTES, AT(R, time_limit), 0.001, 1e7, "M", "save and stop after M minutes", .dflt = 1),
    OPT("resume", 0, OPT_FLAG, AT(R, resume), 0, 0, NULL, "continue the run whose state is beside SR_MODEL"),
    OPT_SEED(R, seed, "seed for initialisation, crops and augmentation"),
    OPT_THREADS(R),
    OPT_BACKEND(R),
};
#undef R

static void srtrain_defaults_v(void *o) { srtrain_defaults(o); }

static int exec_srtrain(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd;
    SrTrainOpts *o = opts;
    o->inputs = (const char **)p->pos, o->n_inputs = p->n_pos;
    return srtrain_run(o);
}

const Command cmd_srtrain = {
    .docs = "docs/super-resolution.md", .name = "sr-train", .group = "training", .synopsis = "DIR|DATA... -o SR_MODEL",
    .summary = "train a super-resolution network",
    .usage = "fakeit sr-train DIR|FILE|DATA.fkd... -o SR_MODEL [options]\n"
             "fakeit sr-train DIR|FILE|DATA.fkd... -o SR_MODEL --resume [--iters N]",
    .about = "Trains the super-resolution network (SRVGGNetCompact: 3x3 convs and PReLU,\n"
             "pixel shuffle, plus the upsampled input) on high-resolution images:\n"
             "random crops, their low-resolution side made with the filter fakeit prepare\n"
             "shrinks with, blur and noise added to it half the time each (so generated\n"
             "images are in distribution), L1 loss (optionally plus a WGAN-GP critic's),\n"
             "Adam with a cosine decay. The progress line shows bicubic's L1 on the same\n"
             "crops: the model is useful once its L1 is below. Writes SR_MODEL every\n"
             "--save-every steps and at the end, and SR_MODEL.state.safetensors for an\n"
             "exact --resume; Ctrl-C saves and stops.\n",
    .opts = srtrain_opts, .n_opts = sizeof srtrain_opts / sizeof *srtrain_opts, .size = sizeof(SrTrainOpts),
    .defaults = srtrain_defaults_v, .min_pos = 1, .max_pos = -1,
    .pos = "training images (folders, files or DATA.fkd)", .exec = exec_srtrain,
};

// ---------------------------------------------------------------------------
// fakeit sr-eval

#define V SrEvalOpts
static const OptSpec sreval_opts[] = {
    OPT("model", 0, OPT_STR, AT(V, model), 0, 0, "FILE", "the super-resolution model (default: models/bikes-x4)"),
    OPT("compare", 0, OPT_STR, AT(V, compare), 0, 0, "DIR", "write bicubic | model | original side by side per image"),
    OPT("json", 0, OPT_FLAG, AT(V, json), 0, 0, NULL, "one JSON object with every figure"),
    OPT_THREADS(V),
    OPT_BACKEND(V),
};
#undef V

static int exec_sreval(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd;
    SrEvalOpts *o = opts;
    o->inputs = (const char **)p->pos, o->n_inputs = p->n_pos;
    return sreval_run(o);
}

const Command cmd_sreval = {
    .docs = "docs/super-resolution.md", .name = "sr-eval", .group = "training", .synopsis = "[--model M] HR...",
    .summary = "PSNR / SSIM of a super-resolution model vs bicubic",
    .usage = "fakeit sr-eval [--model SR_MODEL] HR... [--compare DIR] [--json]",
    .about = "Measures a super-resolution model on high-resolution images (files,\n"
             "folders or DATA.fkd data sets): each is cropped to a multiple of the\n"
             "scale, shrunk with the filter fakeit prepare uses, and brought back by the\n"
             "model and by bicubic interpolation; PSNR and SSIM on the Y channel with\n"
             "the border shaved (the BasicSR convention), per image and averaged, both\n"
             "by the same code.\n",
    .opts = sreval_opts, .n_opts = sizeof sreval_opts / sizeof *sreval_opts, .size = sizeof(SrEvalOpts),
    .min_pos = 1, .max_pos = -1, .pos = "high-resolution images (HR...)", .exec = exec_sreval,
};
