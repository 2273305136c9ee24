// main.c: the fakeit command line. Thin: parses options, calls the library.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "data/bikes.h"
#include "data/dataset.h"
#include "data/prepare.h"
#include "nn/safetensors.h"
#include "gan/sample.h"
#include "eval/evaluate.h"
#include "sr/sr.h"
#include "sr/sreval.h"
#include "train/srtrain.h"
#include "train/train.h"

#define FAKEIT_VERSION "0.2.0"

static void usage(FILE *f) {
    fputs("usage: fakeit COMMAND [ARGS]\n"
          "\n"
          "fakeit learns to fake images with a Wasserstein GAN.\n"
          "\n"
          "data:\n"
          "  prepare DIR|FILE... -o DATA.fkd   pack a folder of images (or IDX files) into a data set\n"
          "  info DATA.fkd                     summary of a data set\n"
          "  bikes -n N -o DIR                 draw the built-in road-bike images\n"
          "training:\n"
          "  train DATA.fkd -o RUN_DIR         train a Wasserstein GAN (--resume RUN_DIR continues)\n"
          "  sample MODEL -n N -o DIR          draw fakes from a trained generator\n"
          "  interp MODEL -o strip.png         walks between random latent points\n"
          "  sr-train DIR|DATA... -o SR_MODEL  train a super-resolution network\n"
          "  upscale IN... -o OUT              super-resolution of images or folders\n"
          "  sr-eval [--model M] HR...         PSNR / SSIM of a super-resolution model vs bicubic\n"
          "  eval --real DATA.fkd --fake MODEL|DIR|DATA.fkd\n"
          "                                    measure fakes: SWD, copies, mode collapse\n"
          "other:\n"
          "  backends            list the compute backends this build has\n"
          "  inspect FILE        list the tensors of a safetensors file (checkpoint, fixture)\n"
          "  version             print the version\n"
          "  help                print this help\n"
          "\n"
          "'fakeit COMMAND --help' describes a command's options.\n",
          f);
}

static int bad_usage(const char *cmd, const char *msg, const char *arg) {
    fprintf(stderr, "fakeit %s: %s%s%s\n", cmd, msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "run 'fakeit %s --help' for its options\n", cmd);
    return 2;
}

// Parses a whole decimal integer in [lo, hi]; 0 on success.
static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

// --threads N and --backend NAME, alike for every command that computes.
enum { OPT_THREADS = 900, OPT_BACKEND };
#define THREADS_OPT {"threads", required_argument, 0, OPT_THREADS}
#define BACKEND_OPT {"backend", required_argument, 0, OPT_BACKEND}

// 1 when getopt's c was one of them (stored), -1 when its value is wrong
// (after the usage message), 0 otherwise.
static int thread_backend(const char *cmd, int c, int *threads, const char **backend) {
    long v;
    if (c == OPT_BACKEND) {
        *backend = optarg;
        return 1;
    }
    if (c != OPT_THREADS) return 0;
    if (parse_int(optarg, 1, 1024, &v)) return bad_usage(cmd, "--threads needs a positive count", optarg), -1;
    *threads = (int)v;
    return 1;
}

// ---------------------------------------------------------------------------

static const char prepare_help[] =
    "usage: fakeit prepare DIR|FILE... -o DATA.fkd [options]\n"
    "\n"
    "Packs images into one data set for training. Folders are searched\n"
    "recursively (no class sub-folders needed; hidden entries skipped) for .jpg\n"
    ".jpeg .png .webp .gif .tif .tiff .bmp files; MNIST-style IDX files (*-ubyte, *-ubyte.gz or any\n"
    "file named on the command line) are imported record by record. Unreadable,\n"
    "truncated, oversized, tiny and duplicate images are skipped and counted.\n"
    "Writes accepted.png and rejected.png contact sheets beside DATA.fkd.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE        the data set to write (required)\n"
    "  --size N                 image size in pixels, N x N (default 64)\n"
    "  --fit pad|crop           pad: keep the whole picture, pad the short side\n"
    "                           with the background colour (default);\n"
    "                           crop: fill the square, keep the centre\n"
    "  --background white|any   white: keep only images whose border is near-white\n"
    "                           (default for images; IDX files are kept whole\n"
    "                           unless this is given); any: keep every image\n"
    "  --white-level L          a border pixel is white when R, G and B are all\n"
    "                           >= L (0-255, default 230)\n"
    "  --white-fraction F       keep an image when at least F of its border ring\n"
    "                           is white (0-1, default 0.9); the ring is\n"
    "                           max(1, shorter side/32) pixels wide, measured\n"
    "                           after shrinking and before padding\n"
    "  --channels 3|1           RGB or grey (default: 1 when every input is IDX,\n"
    "                           else 3)\n"
    "  --max-pixels N           refuse images whose header declares more pixels\n"
    "                           than N, before decoding (default 100000000)\n"
    "  --min-side N             skip images smaller than N pixels on a side\n"
    "                           (default 16)\n"
    "  --invert                 IDX: invert polarity (dark objects on white)\n"
    "  --pad N                  IDX: pad each image to N x N first (e.g. 28 -> 32)\n"
    "  --threads N              decoding threads (default: all cores)\n"
    "  -v, --verbose            list every skipped file with its reason\n";

static int cmd_prepare(int argc, char **argv) {
    PrepareOpts o;
    prepare_defaults(&o);
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"size", required_argument, 0, 's'},
        {"fit", required_argument, 0, 'f'}, {"background", required_argument, 0, 'b'},
        {"white-level", required_argument, 0, 'L'}, {"white-fraction", required_argument, 0, 'F'},
        {"channels", required_argument, 0, 'c'}, {"max-pixels", required_argument, 0, 'M'},
        {"min-side", required_argument, 0, 'm'}, {"invert", no_argument, 0, 'i'},
        {"pad", required_argument, 0, 'p'}, {"threads", required_argument, 0, 't'},
        {"verbose", no_argument, 0, 'v'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    double d;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 's':
            if (parse_int(optarg, 8, 4096, &v)) return bad_usage("prepare", "--size needs a number from 8 to 4096", optarg);
            o.size = (int)v;
            break;
        case 'f':
            if (!strcmp(optarg, "pad")) o.fit = FIT_PAD;
            else if (!strcmp(optarg, "crop")) o.fit = FIT_CROP;
            else return bad_usage("prepare", "--fit is pad or crop", optarg);
            break;
        case 'b':
            if (!strcmp(optarg, "white")) o.white_only = 1;
            else if (!strcmp(optarg, "any")) o.white_only = 0;
            else return bad_usage("prepare", "--background is white or any", optarg);
            o.white_only_set = 1;
            break;
        case 'L':
            if (parse_int(optarg, 0, 255, &v)) return bad_usage("prepare", "--white-level needs 0 to 255", optarg);
            o.white_level = (int)v;
            break;
        case 'F':
            if (parse_double(optarg, 0, 1, &d)) return bad_usage("prepare", "--white-fraction needs 0 to 1", optarg);
            o.white_fraction = d;
            break;
        case 'c':
            if (parse_int(optarg, 1, 3, &v) || v == 2) return bad_usage("prepare", "--channels is 3 or 1", optarg);
            o.channels = (int)v;
            break;
        case 'M':
            if (parse_double(optarg, 1, 1e12, &d)) return bad_usage("prepare", "--max-pixels needs a positive number", optarg);
            o.max_pixels = d;
            break;
        case 'm':
            if (parse_int(optarg, 1, 100000, &v)) return bad_usage("prepare", "--min-side needs a positive number", optarg);
            o.min_side = (int)v;
            break;
        case 'i': o.idx_invert = 1; break;
        case 'p':
            if (parse_int(optarg, 1, 4096, &v)) return bad_usage("prepare", "--pad needs a size in pixels", optarg);
            o.idx_pad = (int)v;
            break;
        case 't':
            if (parse_int(optarg, 1, 1024, &v)) return bad_usage("prepare", "--threads needs a positive number", optarg);
            o.threads = (int)v;
            break;
        case 'v': o.verbose = 1; break;
        case 'h': fputs(prepare_help, stdout); return 0;
        default: return bad_usage("prepare", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (!o.out) return bad_usage("prepare", "an output is required", "-o DATA.fkd");
    if (optind >= argc) return bad_usage("prepare", "no input folder or file given", NULL);
    return prepare_run(&o, argv + optind, argc - optind, NULL);
}

static int cmd_info(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: fakeit info DATA.fkd\n\nPrints the summary of a data set made by fakeit prepare.");
        return 0;
    }
    if (argc != 2) return bad_usage("info", "needs exactly one data set", NULL);
    Dataset ds;
    if (ds_open(&ds, argv[1]) != 0) return 1;
    const size_t img = ds_image_bytes(&ds);
    double mean = 0;
    for (size_t i = 0; i < (size_t)ds.count * img; i++) mean += ds.pixels[i];
    mean /= (double)ds.count * img > 0 ? (double)ds.count * img : 1;
    printf("%s: fakeit data set version %d\n", argv[1], DS_VERSION);
    printf("  images    %u\n", ds.count);
    printf("  size      %ux%u\n", ds.size, ds.size);
    printf("  channels  %u (%s)\n", ds.channels, ds.channels == 3 ? "RGB" : "grey");
    printf("  pixels    %.1f MB, mean value %.1f\n", (double)ds.count * img / 1e6, mean);
    for (uint32_t i = 0; i < ds.count && i < 3; i++) printf("  image %u   from %s\n", i, ds.paths[i]);
    if (ds.count > 3) printf("  ...\n  image %u from %s\n", ds.count - 1, ds.paths[ds.count - 1]);
    ds_close(&ds);
    return 0;
}

static const char bikes_help[] =
    "usage: fakeit bikes -n N -o DIR [--size S] [--seed SEED]\n"
    "\n"
    "Draws N side views of road bikes as PNG files bike_00000.png ... in DIR,\n"
    "with bikes.csv naming each file's background. About a quarter stand on a\n"
    "coloured, gradient or textured background: distractors that fakeit\n"
    "prepare rejects.\n"
    "\n"
    "options:\n"
    "  -n, --count N   number of images (required)\n"
    "  -o, --output D  folder to write (created if missing; required)\n"
    "  --size S        image size in pixels (default 256)\n"
    "  --seed SEED     the same seed draws the same images (default 1)\n";

static int cmd_bikes(int argc, char **argv) {
    static const struct option opts[] = {
        {"count", required_argument, 0, 'n'}, {"output", required_argument, 0, 'o'},
        {"size", required_argument, 0, 's'}, {"seed", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    long n = -1, size = 256, seed = 1;
    const char *out = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_int(optarg, 1, 10000000, &n)) return bad_usage("bikes", "-n needs a positive count", optarg);
            break;
        case 'o': out = optarg; break;
        case 's':
            if (parse_int(optarg, 16, 4096, &size)) return bad_usage("bikes", "--size needs 16 to 4096", optarg);
            break;
        case 'S':
            if (parse_int(optarg, 0, LONG_MAX, &seed)) return bad_usage("bikes", "--seed needs a non-negative integer", optarg);
            break;
        case 'h': fputs(bikes_help, stdout); return 0;
        default: return bad_usage("bikes", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_usage("bikes", "unexpected argument", argv[optind]);
    if (n < 0 || !out) return bad_usage("bikes", "-n N and -o DIR are required", NULL);
    if (bikes_write(out, (int)n, (int)size, (uint64_t)seed) != 0) return 1;
    printf("wrote %ld images of %ldx%ld to %s (backgrounds in %s/bikes.csv)\n", n, size, size, out, out);
    return 0;
}

// ---------------------------------------------------------------------------

static const char train_help[] =
    "usage: fakeit train DATA.fkd -o RUN_DIR [options]\n"
    "       fakeit train --resume RUN_DIR [DATA.fkd] [--iters N | --epochs N]\n"
    "\n"
    "Trains the Wasserstein GAN of Arjovsky et al. exactly as the reference code\n"
    "does: DCGAN generator and critic for the data set's image size and channels,\n"
    "RMSprop, critic weights clipped before each critic step, 5 critic steps per\n"
    "generator step (100 for the first 25 generator iterations and every 500th),\n"
    "a new real batch for every critic step, real and fake in separate passes.\n"
    "Writes to RUN_DIR: netG.safetensors and netD.safetensors (PyTorch state_dict\n"
    "names), state.safetensors (exact resume), metrics.csv, real_samples.png,\n"
    "fake_samples_NNNNNN.png from a fixed noise batch, and loss.png. Ctrl-C or\n"
    "SIGTERM saves and stops; --resume continues bit for bit.\n"
    "\n"
    "With --loss wgan-gp it trains WGAN-GP (Gulrajani et al. 2017) instead: no\n"
    "clipping, a gradient penalty lambda * (||grad D(xhat)|| - 1)^2 at random\n"
    "interpolates of real and fake (exact gradient), a critic without batch norm,\n"
    "Adam 1e-4 with betas (0, 0.9) and 5 critic steps throughout by default.\n"
    "\n"
    "options (defaults are the original's):\n"
    "  -o, --output DIR     the run folder (required for a new run)\n"
    "  --resume DIR         continue the run in DIR (its configuration is kept)\n"
    "  --iters N            stop after N generator iterations in all\n"
    "  --epochs N           or after N passes over the data (default 25)\n"
    "  --batch N            batch size (default 64)\n"
    "  --nz N               latent size (default 100)\n"
    "  --ngf N, --ndf N     generator and critic widths (default 64, 64)\n"
    "  --extra-layers N     extra 3x3 conv blocks in both nets (default 0)\n"
    "  --no-bn-g            no batch norm in the generator\n"
    "  --lr-g X, --lr-d X   learning rates (default 5e-5 each; the seed's cure for\n"
    "                       mode collapse was a faster generator)\n"
    "  --lr X               both learning rates\n"
    "  --adam               Adam instead of RMSprop\n"
    "  --beta1 X, --beta2 X Adam's betas (default 0.5, 0.999)\n"
    "  --clip X             critic weight clipping to [-X, X] (default 0.01)\n"
    "  --loss wgan|wgan-gp  weight clipping (default) or gradient penalty\n"
    "  --gp-lambda X        the penalty's weight (default 10)\n"
    "  --critic-norm batch|none|layer\n"
    "                       the critic's normalisation (default batch; none with\n"
    "                       wgan-gp, which also accepts layer, not batch)\n"
    "  --d-iters N          critic steps per generator step (default 5)\n"
    "  --d-iters-early N    critic steps in the early and periodic iterations (100)\n"
    "  --early-iters N      the first N generator iterations are early (25)\n"
    "  --early-every N      and so is every Nth (500)\n"
    "  --seed N             seed for initialisation, data order and noise (default 1)\n"
    "  --sample-every N     grid and chart every N generator iterations (default 500)\n"
    "  --eval-every N       measure the fakes every N generator iterations: SWD\n"
    "                       against held-out reals (as fakeit eval does), logged to\n"
    "                       metrics.csv (swd, swd_real) and charted in loss.png;\n"
    "                       the time it takes is not counted as training time\n"
    "  --eval-data DATA.fkd the held-out reals (e.g. a test set); without it\n"
    "  --holdout N          N images of the data set are kept out of training\n"
    "                       (default: 2 x --eval-n, at most a fifth of the set)\n"
    "  --eval-n N           images per set for SWD (default 1000; at most half\n"
    "                       the held-out reals)\n"
    "  --save-every N       checkpoint every N generator iterations (default 500)\n"
    "  --time-limit M       save and stop after M minutes of training (default: none)\n"
    "  --threads N          CPU threads (default: all cores)\n"
    "  --backend NAME       compute backend (default: the fastest; fakeit backends)\n";

static int cmd_train(int argc, char **argv) {
    TrainOpts o;
    train_defaults(&o);
    enum { O_RESUME = 256, O_ITERS, O_EPOCHS, O_BATCH, O_NZ, O_NGF, O_NDF, O_EXTRA, O_NOBN, O_LRG, O_LRD, O_LR,
           O_ADAM, O_B1, O_B2, O_CLIP, O_DITERS, O_SEED, O_SAMPLE, O_SAVE,
           O_DEARLY, O_EARLY, O_EVERY, O_TIME, O_LOSS, O_LAMBDA, O_CNORM, O_EVAL, O_EVALDATA, O_HOLDOUT, O_EVALN };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"resume", required_argument, 0, O_RESUME},
        {"iters", required_argument, 0, O_ITERS}, {"epochs", required_argument, 0, O_EPOCHS},
        {"batch", required_argument, 0, O_BATCH}, {"nz", required_argument, 0, O_NZ},
        {"ngf", required_argument, 0, O_NGF}, {"ndf", required_argument, 0, O_NDF},
        {"extra-layers", required_argument, 0, O_EXTRA}, {"no-bn-g", no_argument, 0, O_NOBN},
        {"lr-g", required_argument, 0, O_LRG}, {"lr-d", required_argument, 0, O_LRD},
        {"lr", required_argument, 0, O_LR}, {"adam", no_argument, 0, O_ADAM},
        {"beta1", required_argument, 0, O_B1}, {"beta2", required_argument, 0, O_B2},
        {"clip", required_argument, 0, O_CLIP}, {"d-iters", required_argument, 0, O_DITERS},
        {"d-iters-early", required_argument, 0, O_DEARLY}, {"early-iters", required_argument, 0, O_EARLY},
        {"early-every", required_argument, 0, O_EVERY}, {"time-limit", required_argument, 0, O_TIME},
        {"seed", required_argument, 0, O_SEED}, {"sample-every", required_argument, 0, O_SAMPLE},
        {"save-every", required_argument, 0, O_SAVE}, THREADS_OPT,
        BACKEND_OPT, {"loss", required_argument, 0, O_LOSS},
        {"gp-lambda", required_argument, 0, O_LAMBDA}, {"critic-norm", required_argument, 0, O_CNORM},
        {"eval-every", required_argument, 0, O_EVAL}, {"eval-data", required_argument, 0, O_EVALDATA},
        {"holdout", required_argument, 0, O_HOLDOUT}, {"eval-n", required_argument, 0, O_EVALN},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    double d;
    opterr = 0;
    // options the user gave, so that --loss wgan-gp changes only the defaults
    enum { SET_LR_G = 1, SET_LR_D = 2, SET_ADAM = 4, SET_B1 = 8, SET_B2 = 16, SET_DITERS = 32, SET_DEARLY = 64,
           SET_CNORM = 128 };
    unsigned set = 0;
    int loss = WGAN_LOSS_CLIP;
#define INT_OPT(field, lo, hi, what)                                              \
    if (parse_int(optarg, lo, hi, &v)) return bad_usage("train", what, optarg); \
    field = (int)v;
#define REAL_OPT(field, lo, hi, what)                                               \
    if (parse_double(optarg, lo, hi, &d)) return bad_usage("train", what, optarg); \
    field = d;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const int tb = thread_backend("train", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'o': o.run_dir = optarg; break;
        case O_RESUME: o.run_dir = optarg, o.resume = 1; break;
        case O_ITERS:
            if (parse_int(optarg, 1, LONG_MAX, &o.iters)) return bad_usage("train", "--iters needs a positive count", optarg);
            o.iters_set = 1;
            break;
        case O_EPOCHS:
            if (parse_int(optarg, 1, LONG_MAX, &o.epochs)) return bad_usage("train", "--epochs needs a positive count", optarg);
            o.epochs_set = 1;
            break;
        case O_BATCH: INT_OPT(o.cfg.batch, 2, 65536, "--batch needs 2 or more") break;
        case O_NZ: INT_OPT(o.cfg.nz, 1, 100000, "--nz needs a positive size") break;
        case O_NGF: INT_OPT(o.cfg.ngf, 1, 100000, "--ngf needs a positive width") break;
        case O_NDF: INT_OPT(o.cfg.ndf, 1, 100000, "--ndf needs a positive width") break;
        case O_EXTRA: INT_OPT(o.cfg.n_extra, 0, 100, "--extra-layers needs 0 to 100") break;
        case O_NOBN: o.cfg.bn_g = 0; break;
        case O_LRG: REAL_OPT(o.cfg.lr_g, 0, 10, "--lr-g needs a rate from 0 to 10") set |= SET_LR_G; break;
        case O_LRD: REAL_OPT(o.cfg.lr_d, 0, 10, "--lr-d needs a rate from 0 to 10") set |= SET_LR_D; break;
        case O_LR:
            REAL_OPT(o.cfg.lr_g, 0, 10, "--lr needs a rate from 0 to 10")
            o.cfg.lr_d = o.cfg.lr_g;
            set |= SET_LR_G | SET_LR_D;
            break;
        case O_ADAM: o.cfg.adam = 1, set |= SET_ADAM; break;
        case O_B1: REAL_OPT(o.cfg.beta1, 0, 0.999999, "--beta1 needs 0 to 1") set |= SET_B1; break;
        case O_B2: REAL_OPT(o.cfg.beta2, 0, 0.999999, "--beta2 needs 0 to 1") set |= SET_B2; break;
        case O_CLIP: REAL_OPT(o.cfg.clip, 0, 1e6, "--clip needs a positive bound") break;
        case O_DITERS: INT_OPT(o.cfg.d_iters, 1, 100000, "--d-iters needs a positive count") set |= SET_DITERS; break;
        case O_DEARLY:
            INT_OPT(o.cfg.d_iters_warm, 1, 100000, "--d-iters-early needs a positive count")
            set |= SET_DEARLY;
            break;
        case O_LOSS:
            if (!strcmp(optarg, "wgan")) loss = WGAN_LOSS_CLIP;
            else if (!strcmp(optarg, "wgan-gp")) loss = WGAN_LOSS_GP;
            else return bad_usage("train", "--loss is wgan or wgan-gp", optarg);
            break;
        case O_EVAL: INT_OPT(o.eval_every, 1, INT_MAX, "--eval-every needs a positive count") break;
        case O_EVALDATA: o.eval_data = optarg; break;
        case O_HOLDOUT: INT_OPT(o.holdout, 0, INT_MAX, "--holdout needs a count") break;
        case O_EVALN: INT_OPT(o.eval_n, 2, 1000000, "--eval-n needs a count from 2") break;
        case O_LAMBDA: REAL_OPT(o.cfg.gp_lambda, 0, 1e6, "--gp-lambda needs a weight from 0 to 1e6") break;
        case O_CNORM:
            if (!strcmp(optarg, "batch")) o.cfg.critic_norm = DCGAN_NORM_BATCH;
            else if (!strcmp(optarg, "none")) o.cfg.critic_norm = DCGAN_NORM_NONE;
            else if (!strcmp(optarg, "layer")) o.cfg.critic_norm = DCGAN_NORM_LAYER;
            else return bad_usage("train", "--critic-norm is batch, none or layer", optarg);
            set |= SET_CNORM;
            break;
        case O_EARLY: INT_OPT(o.cfg.warm_iters, 0, INT_MAX, "--early-iters needs a count") break;
        case O_EVERY: INT_OPT(o.cfg.warm_every, 1, INT_MAX, "--early-every needs a positive count") break;
        case O_TIME:
            REAL_OPT(o.time_limit, 0.001, 1e7, "--time-limit needs minutes")
            o.time_limit *= 60;
            break;
        case O_SEED:
            if (parse_int(optarg, 0, LONG_MAX, &v)) return bad_usage("train", "--seed needs a non-negative integer", optarg);
            o.cfg.seed = (uint64_t)v;
            break;
        case O_SAMPLE: INT_OPT(o.sample_every, 1, INT_MAX, "--sample-every needs a positive count") break;
        case O_SAVE: INT_OPT(o.save_every, 1, INT_MAX, "--save-every needs a positive count") break;
        case 'h': fputs(train_help, stdout); return 0;
        default: return bad_usage("train", "unknown or incomplete option", argv[optind - 1]);
        }
    }
#undef INT_OPT
#undef REAL_OPT
    if (optind < argc) o.data = argv[optind++];
    if (optind < argc) return bad_usage("train", "unexpected argument", argv[optind]);
    if (!o.run_dir) return bad_usage("train", "a run folder is required", "-o RUN_DIR (or --resume RUN_DIR)");
    if (!o.resume && !o.data) return bad_usage("train", "a data set is required (make one with fakeit prepare)", NULL);
    if (o.iters_set && o.epochs_set) return bad_usage("train", "give --iters or --epochs, not both", NULL);
    if (o.iters_set) o.epochs = 0;
    if (loss == WGAN_LOSS_GP) {  // the mode's defaults for everything not given
        WganConfig gp = o.cfg;
        wgan_defaults_gp(&gp);
        o.cfg.loss = WGAN_LOSS_GP;
        if (!(set & SET_LR_G)) o.cfg.lr_g = gp.lr_g;
        if (!(set & SET_LR_D)) o.cfg.lr_d = gp.lr_d;
        if (!(set & SET_B1)) o.cfg.beta1 = gp.beta1;
        if (!(set & SET_B2)) o.cfg.beta2 = gp.beta2;
        if (!(set & SET_DITERS)) o.cfg.d_iters = gp.d_iters;
        if (!(set & SET_DEARLY)) o.cfg.d_iters_warm = (set & SET_DITERS) ? o.cfg.d_iters : gp.d_iters_warm;
        if (!(set & SET_CNORM)) o.cfg.critic_norm = gp.critic_norm;
        o.cfg.adam = 1;
        if (o.cfg.critic_norm == DCGAN_NORM_BATCH)
            return bad_usage("train", "WGAN-GP's penalty is per sample: --critic-norm none or layer", "batch");
    }
    return train_run(&o);
}

static const char sample_help[] =
    "usage: fakeit sample MODEL -n N [-o DIR] [--grid FILE.png] [options]\n"
    "\n"
    "Draws N fakes from a generator saved by fakeit train (RUN_DIR/netG.safetensors):\n"
    "individual PNGs fake_00000.png ... in DIR and/or one grid. Fakes are made in\n"
    "full training batches with batch statistics, as the original samples, so the\n"
    "same seed gives the same images and -n 1 gives the first of -n 64.\n"
    "\n"
    "options:\n"
    "  -n N                  fakes to make (required)\n"
    "  -o, --output DIR      write fake_00000.png ... here\n"
    "  --grid FILE.png       write one grid, 8 per row\n"
    "  --seed N              noise seed (default 1)\n"
    "  --rank-by-critic K    score the N fakes with the run's critic and keep the K\n"
    "                        it rates most real (lowest scores)\n"
    "  --critic FILE         the critic (default: netD.safetensors beside MODEL)\n"
    "  --upscale SR_MODEL    write the fakes upscaled by a super-resolution model\n"
    "                        (fakeit sr-train; models/bikes-x4.safetensors ships);\n"
    "                        bicubic: by bicubic interpolation, x4\n"
    "  --threads N, --backend NAME\n";

static int cmd_sample(int argc, char **argv) {
    SampleOpts o = {.seed = 1, .n = -1};
    enum { O_GRID = 256, O_SEED, O_RANK, O_CRITIC, O_UPSCALE };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"grid", required_argument, 0, O_GRID},
        {"seed", required_argument, 0, O_SEED}, {"rank-by-critic", required_argument, 0, O_RANK},
        {"upscale", required_argument, 0, O_UPSCALE},
        {"critic", required_argument, 0, O_CRITIC}, THREADS_OPT,
        BACKEND_OPT, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        const int tb = thread_backend("sample", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'n':
            if (parse_int(optarg, 1, 10000000, &v)) return bad_usage("sample", "-n needs a positive count", optarg);
            o.n = (int)v;
            break;
        case 'o': o.out_dir = optarg; break;
        case O_GRID: o.grid = optarg; break;
        case O_SEED:
            if (parse_int(optarg, 0, LONG_MAX, &v)) return bad_usage("sample", "--seed needs a non-negative integer", optarg);
            o.seed = (uint64_t)v;
            break;
        case O_RANK:
            if (parse_int(optarg, 1, 10000000, &v)) return bad_usage("sample", "--rank-by-critic needs a positive count", optarg);
            o.rank_k = (int)v;
            break;
        case O_CRITIC: o.critic = optarg; break;
        case O_UPSCALE: o.upscale = optarg; break;
        case 'h': fputs(sample_help, stdout); return 0;
        default: return bad_usage("sample", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) o.model = argv[optind++];
    if (optind < argc) return bad_usage("sample", "unexpected argument", argv[optind]);
    if (!o.model) return bad_usage("sample", "a model is required", "RUN_DIR/netG.safetensors");
    if (o.n < 0) return bad_usage("sample", "-n N is required", NULL);
    if (!o.out_dir && !o.grid) return bad_usage("sample", "say where to write: -o DIR and/or --grid FILE.png", NULL);
    return sample_run(&o);
}

static const char eval_help[] =
    "usage: fakeit eval --real DATA.fkd --fake MODEL|DIR|DATA.fkd [-n N] [--json] [options]\n"
    "\n"
    "Measures fakes against real images:\n"
    "  - sliced Wasserstein distance (Karras et al. 2018) per Laplacian pyramid\n"
    "    level and averaged, beside the same figure for two disjoint sets of real\n"
    "    images (what a perfect generator would score at this set size);\n"
    "  - copy detection: each fake's nearest training image (pixel L2, at full\n"
    "    size and 1/4 size) against the typical distance between training images;\n"
    "    nearest.png shows the closest fakes over their training images;\n"
    "  - a mode-collapse alarm from the fakes' diversity against the reals'.\n"
    "MODEL is a generator (RUN_DIR/netG.safetensors: N fakes are drawn), DIR a\n"
    "folder of images (centre-cropped to the real size), or a data set.\n"
    "\n"
    "options:\n"
    "  --real DATA.fkd     the real images (required), e.g. a held-out test set\n"
    "  --fake PATH         the fakes (required)\n"
    "  -n N                images per set (default 2000; at most half the reals)\n"
    "  --train DATA.fkd    training set for copy detection (default: --real)\n"
    "  --sheet FILE.png    where nearest.png goes (default: beside MODEL, else .)\n"
    "  --json              print every figure as one JSON object on the last line\n"
    "  --swd-only          only the sliced Wasserstein distance (fast)\n"
    "  --seed N            seed for the choice of images, patches, noise (default 1)\n"
    "  --threads N, --backend NAME\n";

static int cmd_eval(int argc, char **argv) {
    EvalOpts o = {.n = 2000, .seed = 1};
    enum { O_REAL = 256, O_FAKE, O_TRAIN, O_SHEET, O_JSON, O_SEED, O_SWDONLY };
    static const struct option opts[] = {
        {"real", required_argument, 0, O_REAL}, {"fake", required_argument, 0, O_FAKE},
        {"train", required_argument, 0, O_TRAIN}, {"sheet", required_argument, 0, O_SHEET},
        {"json", no_argument, 0, O_JSON}, {"seed", required_argument, 0, O_SEED},
        {"swd-only", no_argument, 0, O_SWDONLY},
        THREADS_OPT, BACKEND_OPT,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        const int tb = thread_backend("eval", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'n':
            if (parse_int(optarg, 2, 1000000, &v)) return bad_usage("eval", "-n needs a count from 2", optarg);
            o.n = (int)v;
            break;
        case O_REAL: o.real = optarg; break;
        case O_FAKE: o.fake = optarg; break;
        case O_TRAIN: o.train = optarg; break;
        case O_SHEET: o.sheet = optarg; break;
        case O_JSON: o.json = 1; break;
        case O_SWDONLY: o.swd_only = 1; break;
        case O_SEED:
            if (parse_int(optarg, 0, LONG_MAX, &v)) return bad_usage("eval", "--seed needs a non-negative integer", optarg);
            o.seed = (uint64_t)v;
            break;
        case 'h': fputs(eval_help, stdout); return 0;
        default: return bad_usage("eval", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_usage("eval", "unexpected argument", argv[optind]);
    if (!o.real || !o.fake) return bad_usage("eval", "--real DATA.fkd and --fake PATH are required", NULL);
    if (o.threads > 0) host_set_threads(o.threads);
    return eval_run(&o);
}

static const char srtrain_help[] =
    "usage: fakeit sr-train DIR|FILE|DATA.fkd... -o SR_MODEL [options]\n"
    "       fakeit sr-train DIR|FILE|DATA.fkd... -o SR_MODEL --resume [--iters N]\n"
    "\n"
    "Trains the super-resolution network (SRVGGNetCompact: 3x3 convs and PReLU,\n"
    "pixel shuffle, plus the upsampled input) on high-resolution images:\n"
    "random crops, their low-resolution side made with the filter fakeit prepare\n"
    "shrinks with, blur and noise added to it half the time each (so generated\n"
    "images are in distribution), L1 loss (optionally plus a WGAN-GP critic's),\n"
    "Adam with a cosine decay. The progress line shows bicubic's L1 on the same\n"
    "crops: the model is useful once its L1 is below. Writes SR_MODEL every\n"
    "--save-every steps and at the end, and SR_MODEL.state.safetensors for an\n"
    "exact --resume; Ctrl-C saves and stops.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    the model to write (required)\n"
    "  --scale 4|2          upscaling factor (default 4)\n"
    "  --iters N            steps to reach (default 5000)\n"
    "  --patch P            low-resolution crop side (default 32)\n"
    "  --batch B            crops per step (default 16)\n"
    "  --lr X               Adam learning rate at step 0, cosine down to 0 at\n"
    "                       --iters (default 1e-3)\n"
    "  --adversarial W      add W x the score of a WGAN-GP critic trained on the\n"
    "                       crops against the outputs (default 0: L1 alone;\n"
    "                       e.g. 1e-3; needs patch x scale a multiple of 16)\n"
    "  --blur S             largest blur sigma in LR pixels (default 1; 0: none)\n"
    "  --noise S            largest noise std on the 0-255 scale (default 5; 0: none)\n"
    "  --feats F, --nconv N network width and body depth (default 32, 8)\n"
    "  --skip bicubic|nearest  the skip's upsampling (default bicubic; nearest\n"
    "                       is Real-ESRGAN's)\n"
    "  --save-every N       checkpoint every N steps (default 500)\n"
    "  --time-limit M       save and stop after M minutes\n"
    "  --resume             continue the run whose state is beside SR_MODEL\n"
    "  --seed N, --threads N, --backend NAME\n";

static int cmd_srtrain(int argc, char **argv) {
    SrTrainOpts o;
    srtrain_defaults(&o);
    enum { O_SCALE = 256, O_ITERS, O_PATCH, O_BATCH, O_LR, O_BLUR, O_NOISE, O_FEATS, O_NCONV, O_SAVE, O_TIME,
           O_RESUME, O_SEED, O_ADV, O_SKIP };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"scale", required_argument, 0, O_SCALE},
        {"iters", required_argument, 0, O_ITERS}, {"patch", required_argument, 0, O_PATCH},
        {"batch", required_argument, 0, O_BATCH}, {"lr", required_argument, 0, O_LR},
        {"blur", required_argument, 0, O_BLUR}, {"noise", required_argument, 0, O_NOISE},
        {"feats", required_argument, 0, O_FEATS}, {"nconv", required_argument, 0, O_NCONV},
        {"save-every", required_argument, 0, O_SAVE}, {"time-limit", required_argument, 0, O_TIME},
        {"resume", no_argument, 0, O_RESUME}, {"seed", required_argument, 0, O_SEED},
        {"adversarial", required_argument, 0, O_ADV}, {"skip", required_argument, 0, O_SKIP},
        THREADS_OPT, BACKEND_OPT,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    double d;
    opterr = 0;
#define INT_OPT(field, lo, hi, what)                                                 \
    if (parse_int(optarg, lo, hi, &v)) return bad_usage("sr-train", what, optarg); \
    field = (int)v;
#define REAL_OPT(field, lo, hi, what)                                                  \
    if (parse_double(optarg, lo, hi, &d)) return bad_usage("sr-train", what, optarg); \
    field = d;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const int tb = thread_backend("sr-train", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_SCALE:
            INT_OPT(o.cfg.scale, 2, 4, "--scale is 4 or 2")
            if (o.cfg.scale == 3) return bad_usage("sr-train", "--scale is 4 or 2", optarg);
            break;
        case O_ITERS:
            if (parse_int(optarg, 1, LONG_MAX, &o.iters)) return bad_usage("sr-train", "--iters needs a positive count", optarg);
            o.iters_given = 1;
            break;
        case O_PATCH: INT_OPT(o.patch, 8, 512, "--patch needs 8 to 512") break;
        case O_BATCH: INT_OPT(o.batch, 1, 4096, "--batch needs a positive count") break;
        case O_LR: REAL_OPT(o.lr, 0, 10, "--lr needs a rate from 0 to 10") break;
        case O_ADV: REAL_OPT(o.adversarial, 0, 1e6, "--adversarial needs a non-negative weight") break;
        case O_BLUR: REAL_OPT(o.blur, 0, 10, "--blur needs a sigma from 0 to 10") break;
        case O_NOISE: REAL_OPT(o.noise, 0, 255, "--noise needs 0 to 255") break;
        case O_FEATS: INT_OPT(o.cfg.feats, 1, 1024, "--feats needs a positive width") break;
        case O_NCONV: INT_OPT(o.cfg.nconv, 0, 200, "--nconv needs 0 to 200") break;
        case O_SKIP:
            if (sr_skip_parse(optarg, &o.cfg.skip)) return bad_usage("sr-train", "--skip is bicubic or nearest", optarg);
            break;
        case O_SAVE: INT_OPT(o.save_every, 1, INT_MAX, "--save-every needs a positive count") break;
        case O_TIME:
            REAL_OPT(o.time_limit, 0.001, 1e7, "--time-limit needs minutes")
            o.time_limit *= 60;
            break;
        case O_RESUME: o.resume = 1; break;
        case O_SEED:
            if (parse_int(optarg, 0, LONG_MAX, &v)) return bad_usage("sr-train", "--seed needs a non-negative integer", optarg);
            o.seed = (uint64_t)v;
            break;
        case 'h': fputs(srtrain_help, stdout); return 0;
        default: return bad_usage("sr-train", "unknown or incomplete option", argv[optind - 1]);
        }
    }
#undef INT_OPT
#undef REAL_OPT
    if (optind >= argc) return bad_usage("sr-train", "no training images given (folders, files or DATA.fkd)", NULL);
    if (!o.out) return bad_usage("sr-train", "a model file to write is required", "-o SR_MODEL");
    o.inputs = (const char **)(argv + optind);
    o.n_inputs = argc - optind;
    return srtrain_run(&o);
}

static const char sreval_help[] =
    "usage: fakeit sr-eval [--model SR_MODEL] HR... [--compare DIR] [--json]\n"
    "\n"
    "Measures a super-resolution model on high-resolution images (files,\n"
    "folders or DATA.fkd data sets): each is cropped to a multiple of the\n"
    "scale, shrunk with the filter fakeit prepare uses, and brought back by the\n"
    "model and by bicubic interpolation; PSNR and SSIM on the Y channel with\n"
    "the border shaved (the BasicSR convention), per image and averaged, both\n"
    "by the same code.\n"
    "\n"
    "options:\n"
    "  --model FILE     the super-resolution model (default: models/bikes-x4)\n"
    "  --compare DIR    write bicubic | model | original side by side per image\n"
    "  --json           one JSON object with every figure\n"
    "  --threads N, --backend NAME\n";

static int cmd_sreval(int argc, char **argv) {
    SrEvalOpts o = {0};
    enum { O_MODEL = 256, O_COMPARE, O_JSON };
    static const struct option opts[] = {
        {"model", required_argument, 0, O_MODEL}, {"compare", required_argument, 0, O_COMPARE},
        {"json", no_argument, 0, O_JSON}, THREADS_OPT,
        BACKEND_OPT, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const int tb = thread_backend("sr-eval", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case O_MODEL: o.model = optarg; break;
        case O_COMPARE: o.compare = optarg; break;
        case O_JSON: o.json = 1; break;
        case 'h': fputs(sreval_help, stdout); return 0;
        default: return bad_usage("sr-eval", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind >= argc) return bad_usage("sr-eval", "no high-resolution images given", NULL);
    o.inputs = (const char **)(argv + optind);
    o.n_inputs = argc - optind;
    return sreval_run(&o);
}

static const char upscale_help[] =
    "usage: fakeit upscale IN... -o OUT [--model SR_MODEL|bicubic] [--tile T]\n"
    "\n"
    "Upscales images (files, or every image file of a folder) with a fakeit\n"
    "super-resolution model (x2 or x4); without --model, the bike model shipped\n"
    "in models/ (or $FAKEIT_SR_MODEL). Any image size runs in bounded memory:\n"
    "the network sees overlapping tiles whose margins cover its receptive field,\n"
    "so the tiles join without seams (equal to the untiled result). Alpha is kept\n"
    "(resized apart). Outputs are PNG: OUT/<name>.png, or OUT itself when it ends\n"
    "in .png and there is one input file. An unreadable input is reported and\n"
    "skipped; the others are still written (exit status 1).\n"
    "\n"
    "options:\n"
    "  -o, --output OUT     output folder (or .png file for one input)\n"
    "  --model FILE         the super-resolution model (default: models/bikes-x4);\n"
    "                       bicubic: bicubic interpolation instead\n"
    "  --scale 4|2          the factor for bicubic (default 4); with a model, a\n"
    "                       check that the model has it\n"
    "  --tile T             input pixels per tile side (default 64; 0: whole images)\n"
    "  --threads N, --backend NAME\n";

static int cmd_upscale(int argc, char **argv) {
    UpscaleOpts o = {.tile = 64};
    enum { O_MODEL = 256, O_TILE, O_SCALE };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"model", required_argument, 0, O_MODEL},
        {"tile", required_argument, 0, O_TILE}, {"scale", required_argument, 0, O_SCALE}, THREADS_OPT,
        BACKEND_OPT, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const int tb = thread_backend("upscale", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_MODEL: o.model = optarg; break;
        case O_TILE:
            if (parse_int(optarg, 0, 100000, &v) || (v > 0 && v < 8))
                return bad_usage("upscale", "--tile needs 0 (whole images) or at least 8 pixels", optarg);
            o.tile = (int)v;
            break;
        case O_SCALE:
            if (parse_int(optarg, 2, 4, &v) || v == 3) return bad_usage("upscale", "--scale is 4 or 2", optarg);
            o.scale = (int)v;
            break;
        case 'h': fputs(upscale_help, stdout); return 0;
        default: return bad_usage("upscale", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind >= argc) return bad_usage("upscale", "no input file or folder given", NULL);
    if (!o.out) return bad_usage("upscale", "an output is required", "-o OUT");
    o.inputs = (const char **)(argv + optind);
    o.n_inputs = argc - optind;
    return upscale_run(&o);
}

static const char interp_help[] =
    "usage: fakeit interp MODEL -o strip.png [--rows R] [--steps S] [--seed N]\n"
    "\n"
    "Renders R walks (default 4) of S steps (default 8) between random latent\n"
    "points, by spherical interpolation, one walk per row.\n"
    "  --threads N, --backend NAME\n";

static int cmd_interp(int argc, char **argv) {
    InterpOpts o = {.rows = 4, .steps = 8, .seed = 1};
    enum { O_ROWS = 256, O_STEPS, O_SEED };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"rows", required_argument, 0, O_ROWS},
        {"steps", required_argument, 0, O_STEPS}, {"seed", required_argument, 0, O_SEED},
        THREADS_OPT, BACKEND_OPT,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const int tb = thread_backend("interp", c, &o.threads, &o.backend);
        if (tb < 0) return 2;
        if (tb) continue;
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_ROWS:
            if (parse_int(optarg, 1, 1000, &v)) return bad_usage("interp", "--rows needs 1 to 1000", optarg);
            o.rows = (int)v;
            break;
        case O_STEPS:
            if (parse_int(optarg, 2, 1000, &v)) return bad_usage("interp", "--steps needs 2 to 1000", optarg);
            o.steps = (int)v;
            break;
        case O_SEED:
            if (parse_int(optarg, 0, LONG_MAX, &v)) return bad_usage("interp", "--seed needs a non-negative integer", optarg);
            o.seed = (uint64_t)v;
            break;
        case 'h': fputs(interp_help, stdout); return 0;
        default: return bad_usage("interp", "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) o.model = argv[optind++];
    if (optind < argc) return bad_usage("interp", "unexpected argument", argv[optind]);
    if (!o.model || !o.out) return bad_usage("interp", "MODEL and -o strip.png are required", NULL);
    return interp_run(&o);
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
    // Keep freed memory in the heap: the cpu backend's plain-layout
    // fallbacks and libvips allocate and free megabyte buffers every step,
    // and with glibc's defaults each one is an mmap/munmap pair whose page
    // faults and TLB shootdowns cost sr-train a third of its time (0.31 ->
    // 0.21 s per step measured).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
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
    if (!strcmp(cmd, "prepare")) return cmd_prepare(argc - 1, argv + 1);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "bikes")) return cmd_bikes(argc - 1, argv + 1);
    if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "sample")) return cmd_sample(argc - 1, argv + 1);
    if (!strcmp(cmd, "interp")) return cmd_interp(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "upscale")) return cmd_upscale(argc - 1, argv + 1);
    if (!strcmp(cmd, "sr-train")) return cmd_srtrain(argc - 1, argv + 1);
    if (!strcmp(cmd, "sr-eval")) return cmd_sreval(argc - 1, argv + 1);
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
