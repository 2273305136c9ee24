// gan.c: the GAN commands: train, sample, interp.
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cli/commands.h"
#include "gan/augment.h"
#include "gan/sample.h"
#include "gan/wgan.h"
#include "nn/dcgan.h"
#include "train/recipe.h"
#include "train/train.h"

// ---------------------------------------------------------------------------
// fakeit train

static const char *const loss_names[] = {"wgan", "wgan-gp", NULL};
static const int loss_values[] = {WGAN_LOSS_CLIP, WGAN_LOSS_GP};
static const char *const norm_names[] = {"batch", "none", "layer", NULL};
static const int norm_values[] = {DCGAN_NORM_BATCH, DCGAN_NORM_NONE, DCGAN_NORM_LAYER};

#define T TrainOpts
static const OptSpec train_opts[] = {
    OPT("output", 'o', OPT_STR, AT(T, run_dir), 0, 0, "DIR", "the run folder (required for a new run; created with its parents)"),
    OPT("resume", 0, OPT_STR, AT(T, run_dir), 0, 0, "DIR", "continue the run in DIR (its configuration is kept)",
     .set = AT(T, resume)),
    OPT("recipe", 0, OPT_STR, AT(T, recipe), 0, 0, "NAME",
     "the settings to start from (those given explicitly win): fast, original, seed or wgan-gp, listed below",
     .dflt = 1),
    OPT("iters", 0, OPT_LONG, AT(T, iters), 1, LONG_MAX, "N", "stop after N generator iterations in all",
     .set = AT(T, iters_set)),
    OPT("epochs", 0, OPT_LONG, AT(T, epochs), 1, LONG_MAX, "N", "or after N passes over the data", .dflt = 1,
     .set = AT(T, epochs_set)),
    OPT("batch", 0, OPT_INT, AT(T, cfg.batch), 2, 65536, "N", "batch size", .dflt = 1),
    OPT("nz", 0, OPT_INT, AT(T, cfg.nz), 1, 100000, "N", "latent size", .dflt = 1),
    OPT("ngf", 0, OPT_INT, AT(T, cfg.ngf), 2, 100000, "N", "generator width", .dflt = 1),
    OPT("ndf", 0, OPT_INT, AT(T, cfg.ndf), 1, 100000, "N", "critic width", .dflt = 1),
    OPT("extra-layers", 0, OPT_INT, AT(T, cfg.n_extra), 0, 100, "N", "extra 3x3 conv blocks in both nets", .dflt = 1),
    OPT("no-bn-g", 0, OPT_FLAG, AT(T, cfg.bn_g), 0, 0, NULL, "no batch norm in the generator", .inverse = 1),
    OPT("lr-g", 0, OPT_REAL, AT(T, cfg.lr_g), 0, 1e30, "X",
     "the generator's learning rate (the seed's cure for mode collapse was a faster generator)", .dflt = 1,
     .mark = WGAN_GIVEN_LR_G),
    OPT("lr-d", 0, OPT_REAL, AT(T, cfg.lr_d), 0, 1e30, "X", "the critic's learning rate", .dflt = 1,
     .mark = WGAN_GIVEN_LR_D),
    OPT("lr", 0, OPT_REAL, AT(T, cfg.lr_g), 0, 1e30, "X", "both learning rates", .also = AT(T, cfg.lr_d),
     .mark = WGAN_GIVEN_LR_G | WGAN_GIVEN_LR_D),
    OPT("adam", 0, OPT_FLAG, AT(T, cfg.adam), 0, 0, NULL, "Adam instead of RMSprop"),
    OPT("beta1", 0, OPT_REAL, AT(T, cfg.beta1), 0, 0.999999, "X", "Adam's beta1", .dflt = 1, .mark = WGAN_GIVEN_BETA1),
    OPT("beta2", 0, OPT_REAL, AT(T, cfg.beta2), 0, 0.999999, "X", "Adam's beta2", .dflt = 1, .mark = WGAN_GIVEN_BETA2),
    OPT("clip", 0, OPT_REAL, AT(T, cfg.clip), 0, 1e6, "X", "critic weight clipping to [-X, X]", .dflt = 1),
    OPT("loss", 0, OPT_CHOICE, AT(T, cfg.loss), 0, 0, "wgan|wgan-gp", "weight clipping or gradient penalty",
     .names = loss_names, .values = loss_values, .dflt = 1),
    OPT("gp-lambda", 0, OPT_REAL, AT(T, cfg.gp_lambda), 0, 1e6, "X", "the penalty's weight", .dflt = 1),
    OPT("critic-norm", 0, OPT_CHOICE, AT(T, cfg.critic_norm), 0, 0, "batch|none|layer",
     "the critic's normalisation (none with wgan-gp, which also accepts layer, not batch)", .names = norm_names,
     .values = norm_values, .dflt = 1, .mark = WGAN_GIVEN_CRITIC_NORM),
    OPT("augment", 0, OPT_STR, AT(T, augment), 0, 0, "LIST",
     "differentiable augmentation of every image the critic sees (DiffAugment, Zhao et al. 2020): any of "
     "translation,cutout,color, or none"),
    OPT("d-iters", 0, OPT_INT, AT(T, cfg.d_iters), 1, 100000, "N", "critic steps per generator step", .dflt = 1,
     .mark = WGAN_GIVEN_D_ITERS),
    OPT("d-iters-early", 0, OPT_INT, AT(T, cfg.d_iters_warm), 1, 100000, "N",
     "critic steps in the early and periodic iterations", .dflt = 1, .mark = WGAN_GIVEN_D_ITERS_WARM),
    OPT("early-iters", 0, OPT_INT, AT(T, cfg.warm_iters), 0, INT_MAX, "N", "the first N generator iterations are early",
     .dflt = 1),
    OPT("early-every", 0, OPT_INT, AT(T, cfg.warm_every), 1, INT_MAX, "N", "and so is every Nth", .dflt = 1),
    OPT_SEED(T, cfg.seed, "seed for initialisation, data order and noise"),
    OPT("sample-every", 0, OPT_INT, AT(T, sample_every), 1, INT_MAX, "N", "grid and chart every N generator iterations",
     .dflt = 1, .set = AT(T, sample_every_set)),
    OPT("eval-every", 0, OPT_INT, AT(T, eval_every), 1, INT_MAX, "N",
     "measure the fakes every N generator iterations: SWD against held-out reals (as fakeit eval does), logged to "
     "metrics.csv (swd, swd_real) and charted in loss.png; the time it takes is not counted as training time"),
    OPT("eval-data", 0, OPT_STR, AT(T, eval_data), 0, 0, "DATA.fkd", "the held-out reals (e.g. a test set); without it"),
    OPT("holdout", 0, OPT_INT, AT(T, holdout), 0, INT_MAX, "N",
     "N images of the data set are kept out of training (default: 2 x --eval-n, at most a fifth of the set)"),
    OPT("eval-n", 0, OPT_INT, AT(T, eval_n), 2, 1000000, "N", "images per set for SWD (at most half the held-out reals)",
     .dflt = 1),
    OPT("save-every", 0, OPT_INT, AT(T, save_every), 1, INT_MAX, "N", "checkpoint every N generator iterations",
     .dflt = 1),
    OPT("time-limit", 0, OPT_MINUTES, AT(T, time_limit), 0.001, 1e7, "M", "save and stop after M minutes of training",
     .dflt = 1),
    OPT("data-changed", 0, OPT_FLAG, AT(T, data_changed), 0, 0, NULL,
     "with --resume RUN DATA.fkd: continue on DATA.fkd although its pixels are not those the run was trained on"),
    OPT_THREADS(T),
    OPT_BACKEND(T),
};
#undef T

// The command's defaults are the default recipe's (what --help shows).
static void train_defaults_v(void *o) {
    train_defaults(o);
    train_recipe_apply(train_recipe_find(train_recipe_default), o);
    ((TrainOpts *)o)->recipe = train_recipe_default;
}

// Whether the option called `name` was given.
static int given(const Command *cmd, const OptParse *p, const char *name) {
    for (int i = 0; i < cmd->n_opts; i++)
        if (!strcmp(cmd->opts[i].name, name)) return (int)(p->given >> i & 1);
    return 0;
}

static size_t opt_bytes(OptKind k) {
    switch (k) {
    case OPT_LONG: return sizeof(long);
    case OPT_U64: return sizeof(uint64_t);
    case OPT_REAL:
    case OPT_MINUTES: return sizeof(double);
    case OPT_STR: return sizeof(const char *);
    default: return sizeof(int);
    }
}

// A new run's configuration: the recipe's, with every option given
// explicitly kept. A loss other than the recipe's brings its own defaults
// for the settings not given (the original's for wgan, the paper's for
// wgan-gp), so that --recipe wgan-gp --loss wgan is the original's clipping.
static int apply_recipe(const Command *cmd, TrainOpts *o, const OptParse *p) {
    const TrainRecipe *r = train_recipe_find(o->recipe);
    if (!r) return opts_usage_error(cmd, "--recipe takes fast, original, seed or wgan-gp", o->recipe);
    TrainOpts base = *o;
    train_recipe_apply(r, &base);
    // every field an option sets takes the recipe's value unless an option given sets it (--lr sets two)
    for (int i = 0; i < cmd->n_opts; i++) {
        const size_t fields[2] = {cmd->opts[i].at, cmd->opts[i].also};
        for (int f = 0; f < 2; f++) {
            int set = 0;
            for (int k = 0; k < cmd->n_opts && fields[f]; k++)
                set |= (p->given >> k & 1) && (cmd->opts[k].at == fields[f] || cmd->opts[k].also == fields[f]);
            if (fields[f] && !set) memcpy((char *)o + fields[f] - 1, (char *)&base + fields[f] - 1, opt_bytes(cmd->opts[i].kind));
        }
    }
    if (!given(cmd, p, "augment")) o->cfg.augment = base.cfg.augment;
    if (!given(cmd, p, "iters") && !given(cmd, p, "epochs")) o->iters = base.iters, o->epochs = base.epochs;
    if (given(cmd, p, "loss") && o->cfg.loss != base.cfg.loss) {
        WganConfig own;
        wgan_defaults(&own);
        if (o->cfg.loss == WGAN_LOSS_GP) wgan_defaults_gp(&own);
        WganConfig *c = &o->cfg;
#define OWN(opt, field) if (!given(cmd, p, opt)) c->field = own.field
        OWN("adam", adam);
        OWN("beta1", beta1);
        OWN("beta2", beta2);
        OWN("d-iters", d_iters);
        OWN("d-iters-early", d_iters_warm);
        OWN("early-iters", warm_iters);
        OWN("early-every", warm_every);
        OWN("critic-norm", critic_norm);
#undef OWN
        if (!given(cmd, p, "lr-g") && !given(cmd, p, "lr")) c->lr_g = own.lr_g;
        if (!given(cmd, p, "lr-d") && !given(cmd, p, "lr")) c->lr_d = own.lr_d;
        if (c->loss == WGAN_LOSS_GP) wgan_loss_defaults(c, p->marks);  // Adam always, the early steps as --d-iters
    }
    return 0;
}

// What --resume accepts: the targets, what is written when, where the run
// computes (said once when it differs from the run's) and evaluation. The
// configuration itself is the run's: changing it is a new run.
static const char *const resume_opts[] = {"resume", "iters", "epochs", "sample-every", "save-every", "time-limit",
                                          "eval-every", "eval-data", "eval-n", "data-changed", "threads", "backend",
                                          "precision", NULL};

static int exec_train(const Command *cmd, void *opts, const OptParse *p) {
    TrainOpts *o = opts;
    if (p->n_pos) o->data = p->pos[0];
    for (int i = 0; o->resume && i < cmd->n_opts; i++) {
        int ok = 0;
        for (int k = 0; resume_opts[k]; k++) ok |= !strcmp(cmd->opts[i].name, resume_opts[k]);
        if (!ok && (p->given >> i & 1)) {
            char msg[200];
            snprintf(msg, sizeof msg, "--%s cannot change on --resume: the run's configuration is kept (it is in %s/"
                     "state.safetensors); start a new run to change it", cmd->opts[i].name, o->run_dir);
            return opts_usage_error(cmd, msg, NULL);
        }
    }
    if (o->data_changed && !(o->resume && o->data))
        return opts_usage_error(cmd, "--data-changed goes with --resume RUN_DIR DATA.fkd", NULL);
    if (!o->run_dir) return opts_usage_error(cmd, "a run folder is required", "-o RUN_DIR (or --resume RUN_DIR)");
    if (!o->resume && !o->data)
        return opts_usage_error(cmd, "a data set or a folder of images is required (fakeit prepare makes data sets)",
                                NULL);
    if (o->iters_set && o->epochs_set) return opts_usage_error(cmd, "give --iters or --epochs, not both", NULL);
    if (!o->resume) {
        const int rc = apply_recipe(cmd, o, p);
        if (rc) return rc;
    }
    if (o->iters_set) o->epochs = 0;
    if (o->epochs_set) o->iters = 0;
    if (o->augment) {
        unsigned policy;
        if (augment_parse(o->augment, &policy) != 0)
            return opts_usage_error(cmd, "--augment takes translation, cutout and color, joined by commas, or none",
                                    o->augment);
        o->cfg.augment = (int)policy;
    }
    if (o->cfg.loss == WGAN_LOSS_GP && o->cfg.critic_norm == DCGAN_NORM_BATCH)
        return opts_usage_error(cmd, "WGAN-GP's penalty is per sample: --critic-norm none or layer", "batch");
    return train_run(o);
}

const Command cmd_train = {
    .docs = "docs/training.md", .name = "train", .group = "training", .synopsis = "DATA.fkd|DIR -o RUN_DIR",
    .summary = "train a Wasserstein GAN (--resume RUN_DIR continues)",
    .usage = "fakeit train DATA.fkd -o RUN_DIR [options]\n"
             "fakeit train IMAGE_DIR -o RUN_DIR [options]\n"
             "fakeit train --resume RUN_DIR [DATA.fkd] [--iters N | --epochs N]",
    .about = "Trains a Wasserstein GAN (Arjovsky et al.) as their reference code does:\n"
             "DCGAN generator and critic for the data set's image size and channels,\n"
             "critic weights clipped before each critic step, several critic steps per\n"
             "generator step (more in the early iterations), a new real batch for every\n"
             "critic step, real and fake in separate passes; with the settings of a recipe\n"
             "(below: by default fast, which adds differentiable augmentation).\n"
             "Writes to RUN_DIR: netG.safetensors and netD.safetensors (PyTorch state_dict\n"
             "names), state.safetensors (exact resume), metrics.csv, real_samples.png,\n"
             "fake_samples_NNNNNN.png from a fixed noise batch, loss.png, and report.html\n"
             "(open it in a browser: charts, the grids over time; fakeit report). Ctrl-C or\n"
             "SIGTERM saves and stops; --resume continues bit for bit. Given a folder of\n"
             "images instead of a data set, it first packs them as fakeit prepare does by\n"
             "default (64 x 64, white backgrounds) into RUN_DIR/data.fkd.\n"
             "\n"
             "With --loss wgan-gp it trains WGAN-GP (Gulrajani et al. 2017) instead: no\n"
             "clipping, a gradient penalty lambda * (||grad D(xhat)|| - 1)^2 at random\n"
             "interpolates of real and fake (exact gradient), a critic without batch norm,\n"
             "Adam 1e-4 with betas (0, 0.9) and 5 critic steps throughout by default; any\n"
             "option given explicitly still wins.\n"
             "\n"
             TRAIN_RECIPES_HELP
             "The defaults below are the default recipe's.\n"
             "\n"
             "One process per run folder (RUN_DIR/.lock); every file is written whole or\n"
             "not at all, so a kill -9 at any moment leaves a run that --resume continues\n"
             "bit for bit. --resume keeps every option that changes the computation\n"
             "(configuration, --sample-every, --threads, backend, precision, evaluation)\n"
             "and checks the data set is the run's own. Exit status: 0 done, 1 an error of\n"
             "a file or the disk, 2 a wrong option or a run that cannot start (too little\n"
             "memory, folder in use), 3 training diverged (NaN or infinity; nothing saved\n"
             "after it), 130/143 stopped by Ctrl-C/SIGTERM after saving.\n"
             "\n"
             "Under mpirun -np N it trains data-parallel: every process computes its part\n"
             "of each batch (--batch stays the whole batch), batch norm and the gradients\n"
             "are summed over the processes, and the model is the one a single process\n"
             "trains, up to the order of the sums; rank 0 alone prints and writes. A signal\n"
             "undoes the iteration under way and saves (mpirun kills a second later).\n",
    .opts = train_opts, .n_opts = sizeof train_opts / sizeof *train_opts, .size = sizeof(TrainOpts),
    .defaults = train_defaults_v, .max_pos = 1, .exec = exec_train, .parallel = 1,
};

// ---------------------------------------------------------------------------
// fakeit sample

#define S SampleOpts
static const OptSpec sample_opts[] = {
    OPT("count", 'n', OPT_INT, AT(S, n), 1, 10000000, "N", "fakes to make", .required = 1),
    OPT("output", 'o', OPT_STR, AT(S, out_dir), 0, 0, "DIR", "write fake_00000.png ... here"),
    OPT("grid", 0, OPT_STR, AT(S, grid), 0, 0, "FILE.png", "write one grid, 8 per row"),
    OPT("tensors", 0, OPT_STR, AT(S, tensors), 0, 0, "FILE.safetensors",
        "also write the generator's input and output as floats: \"noise\" (whole batches, nz, 1, 1) and "
        "\"fakes\" (N, C, S, S) in [-1, 1], before any ranking or upscaling (and the critic's \"scores\" with "
        "--rank-by-critic)"),
    OPT_SEED(S, seed, "noise seed"),
    OPT("rank-by-critic", 0, OPT_INT, AT(S, rank_k), 1, 10000000, "K",
     "score the N fakes with the run's critic and keep the K it rates most real (lowest scores)"),
    OPT("critic", 0, OPT_STR, AT(S, critic), 0, 0, "FILE", "the critic (default: NAME-critic.safetensors beside NAME.safetensors, else netD.safetensors beside MODEL)"),
    OPT("upscale", 0, OPT_STR, AT(S, upscale), 0, 0, "SR_MODEL",
     "write the fakes upscaled by a super-resolution model (fakeit sr-train; models/bikes-x4.safetensors ships); "
     "bicubic: by bicubic interpolation, x4"),
    OPT_THREADS(S),
    OPT_BACKEND(S),
};
#undef S

static void sample_defaults_v(void *o) { sample_defaults(o); }

static int exec_sample(const Command *cmd, void *opts, const OptParse *p) {
    SampleOpts *o = opts;
    o->model = p->pos[0];
    if (!o->out_dir && !o->grid && !o->tensors)
        return opts_usage_error(cmd, "say where to write: -o DIR, --grid FILE.png and/or --tensors FILE", NULL);
    return sample_run(o);
}

const Command cmd_sample = {
    .docs = "docs/training.md", .name = "sample", .group = "training", .synopsis = "MODEL -n N -o DIR",
    .summary = "draw fakes from a trained generator", .usage = "fakeit sample MODEL -n N [-o DIR] [--grid FILE.png] [options]",
    .about = "Draws N fakes from a generator saved by fakeit train (RUN_DIR/netG.safetensors,\n"
             "or the run folder RUN_DIR itself): individual PNGs fake_00000.png ... in DIR\n"
             "and/or one grid. Fakes are made in full training batches with batch\n"
             "statistics, as the original samples, so the same seed gives the same images\n"
             "and -n 1 gives the first of -n 64.\n",
    .opts = sample_opts, .n_opts = sizeof sample_opts / sizeof *sample_opts, .size = sizeof(SampleOpts),
    .defaults = sample_defaults_v, .min_pos = 1, .max_pos = 1, .pos = "MODEL (RUN_DIR/netG.safetensors or RUN_DIR)",
    .exec = exec_sample, .parallel = 1,
};

// ---------------------------------------------------------------------------
// fakeit interp

#define I InterpOpts
static const OptSpec interp_opts[] = {
    OPT("output", 'o', OPT_STR, AT(I, out), 0, 0, "FILE.png", "the strip to write", .required = 1),
    OPT("rows", 0, OPT_INT, AT(I, rows), 1, 1000, "R", "walks, one per row", .dflt = 1),
    OPT("steps", 0, OPT_INT, AT(I, steps), 2, 1000, "S", "steps per walk", .dflt = 1),
    OPT_SEED(I, seed, "seed of the walks' end points"),
    OPT_THREADS(I),
    OPT_BACKEND(I),
};
#undef I

static void interp_defaults_v(void *o) { interp_defaults(o); }

static int exec_interp(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd;
    InterpOpts *o = opts;
    o->model = p->pos[0];
    return interp_run(o);
}

const Command cmd_interp = {
    .docs = "docs/training.md", .name = "interp", .group = "training", .synopsis = "MODEL -o strip.png",
    .summary = "walks between random latent points", .usage = "fakeit interp MODEL -o strip.png [options]",
    .about = "Renders R walks of S steps between random latent points, by spherical\n"
             "interpolation, one walk per row. MODEL is a generator file or a run folder.\n",
    .opts = interp_opts, .n_opts = sizeof interp_opts / sizeof *interp_opts, .size = sizeof(InterpOpts),
    .defaults = interp_defaults_v, .min_pos = 1, .max_pos = 1, .pos = "MODEL (RUN_DIR/netG.safetensors or RUN_DIR)",
    .exec = exec_interp,
};
