// data.c: the data commands: prepare, info, bikes.
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/commands.h"
#include "data/bikes.h"
#include "data/dataset.h"
#include "data/prepare.h"

// ---------------------------------------------------------------------------
// fakeit prepare

static const char *const fit_names[] = {"pad", "crop", NULL};
static const int fit_values[] = {FIT_PAD, FIT_CROP};
static const char *const background_names[] = {"white", "any", NULL};
static const int background_values[] = {1, 0};
static const char *const channel_names[] = {"3", "1", NULL};
static const int channel_values[] = {3, 1};

#define P PrepareOpts
static const OptSpec prepare_opts[] = {
    OPT("output", 'o', OPT_STR, AT(P, out), 0, 0, "DATA.fkd", "the data set to write", .required = 1),
    OPT("size", 0, OPT_INT, AT(P, size), 8, 4096, "N", "image size in pixels, N x N", .dflt = 1),
    OPT("fit", 0, OPT_CHOICE, AT(P, fit), 0, 0, "pad|crop",
     "pad: keep the whole picture, pad the short side with the background colour; crop: fill the square, keep the "
     "centre", .names = fit_names, .values = fit_values, .dflt = 1),
    OPT("background", 0, OPT_CHOICE, AT(P, white_only), 0, 0, "white|any",
     "white: keep only images whose border is near-white (default for images; IDX files are kept whole unless this "
     "is given); any: keep every image", .names = background_names, .values = background_values,
     .set = AT(P, white_only_set)),
    OPT("white-level", 0, OPT_INT, AT(P, white_level), 0, 255, "L",
     "a border pixel is white when R, G and B are all >= L", .dflt = 1),
    OPT("white-fraction", 0, OPT_REAL, AT(P, white_fraction), 0, 1, "F",
     "keep an image when at least F of its border ring is white; the ring is max(1, shorter side/32) pixels wide, "
     "measured after shrinking and before padding", .dflt = 1),
    OPT("channels", 0, OPT_CHOICE, AT(P, channels), 0, 0, "3|1",
     "RGB or grey (default: 1 when every input is IDX, else 3)", .names = channel_names, .values = channel_values),
    OPT("max-pixels", 0, OPT_REAL, AT(P, max_pixels), 1, 1e12, "N",
     "refuse images whose header declares more pixels than N, before decoding", .dflt = 1),
    OPT("min-side", 0, OPT_INT, AT(P, min_side), 1, 100000, "N", "skip images smaller than N pixels on a side",
     .dflt = 1),
    OPT("invert", 0, OPT_FLAG, AT(P, idx_invert), 0, 0, NULL, "IDX: invert polarity (dark objects on white)"),
    OPT("pad", 0, OPT_INT, AT(P, idx_pad), 1, 4096, "N", "IDX: pad each image to N x N first (e.g. 28 -> 32)"),
    OPT_THREADS(P),
    OPT("verbose", 'v', OPT_FLAG, AT(P, verbose), 0, 0, NULL, "list every skipped file with its reason"),
};
#undef P

static void prepare_defaults_v(void *o) { prepare_defaults(o); }

static int exec_prepare(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd;
    return prepare_run(opts, p->pos, p->n_pos, NULL);
}

const Command cmd_prepare = {
    .docs = "docs/data.md", .name = "prepare", .group = "data", .synopsis = "DIR|FILE... -o DATA.fkd",
    .summary = "pack a folder of images (or IDX files) into a data set",
    .usage = "fakeit prepare DIR|FILE... -o DATA.fkd [options]",
    .about = "Packs images into one data set for training. Folders are searched\n"
             "recursively (no class sub-folders needed; hidden entries skipped) for .jpg\n"
             ".jpeg .png .webp .gif .tif .tiff .bmp files; MNIST-style IDX files (*-ubyte,\n"
             "*-ubyte.gz or any file named on the command line) are imported record by\n"
             "record. Unreadable, truncated, oversized, tiny and duplicate images are\n"
             "skipped and counted. Writes accepted.png and rejected.png contact sheets\n"
             "beside DATA.fkd (its folders are created when missing).\n",
    .opts = prepare_opts, .n_opts = sizeof prepare_opts / sizeof *prepare_opts,
    .size = sizeof(PrepareOpts), .defaults = prepare_defaults_v,
    .min_pos = 1, .max_pos = -1, .pos = "DIR|FILE... (the images to pack)", .exec = exec_prepare,
};

// ---------------------------------------------------------------------------
// fakeit info

static int exec_info(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts;
    const char *path = p->pos[0];
    Dataset ds;
    if (ds_open(&ds, path) != 0) return 1;
    const size_t img = ds_image_bytes(&ds), total = (size_t)ds.count * img;
    double mean = 0;
    for (size_t i = 0; i < total; i++) mean += ds.pixels[i];
    mean /= total > 0 ? (double)total : 1;
    printf("%s: fakeit data set version %d\n", path, DS_VERSION);
    printf("  images    %u\n", ds.count);
    printf("  size      %ux%u\n", ds.size, ds.size);
    printf("  channels  %u (%s)\n", ds.channels, ds.channels == 3 ? "RGB" : "grey");
    printf("  pixels    %.1f MB, mean value %.1f\n", (double)total / 1e6, mean);
    for (uint32_t i = 0; i < ds.count && i < 3; i++) printf("  image %u   from %s\n", i, ds.paths[i]);
    if (ds.count > 3) printf("  ...\n  image %u from %s\n", ds.count - 1, ds.paths[ds.count - 1]);
    ds_close(&ds);
    return 0;
}

const Command cmd_info = {
    .docs = "docs/data.md", .name = "info", .group = "data", .synopsis = "DATA.fkd", .summary = "summary of a data set",
    .usage = "fakeit info DATA.fkd", .about = "Prints the summary of a data set made by fakeit prepare.\n",
    .min_pos = 1, .max_pos = 1, .pos = "DATA.fkd", .exec = exec_info,
};

// ---------------------------------------------------------------------------
// fakeit bikes

typedef struct {
    int count, size;
    const char *out;
    uint64_t seed;
} BikesOpts;

static void bikes_defaults(void *o) { *(BikesOpts *)o = (BikesOpts){.size = 256, .seed = 1}; }

#define B BikesOpts
static const OptSpec bikes_opts[] = {
    OPT("count", 'n', OPT_INT, AT(B, count), 1, 10000000, "N", "number of images", .required = 1),
    OPT("output", 'o', OPT_STR, AT(B, out), 0, 0, "DIR", "folder to write (created with its parents if missing)",
     .required = 1),
    OPT("size", 0, OPT_INT, AT(B, size), 16, 4096, "S", "image size in pixels", .dflt = 1),
    OPT_SEED(B, seed, "the same seed draws the same images"),
};
#undef B

static int exec_bikes(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)p;
    const BikesOpts *o = opts;
    if (bikes_write(o->out, o->count, o->size, o->seed) != 0) return 1;
    printf("wrote %d images of %dx%d to %s (backgrounds in %s/bikes.csv)\n", o->count, o->size, o->size, o->out,
           o->out);
    return 0;
}

const Command cmd_bikes = {
    .docs = "docs/data.md", .name = "bikes", .group = "data", .synopsis = "-n N -o DIR", .summary = "draw the built-in road-bike images",
    .usage = "fakeit bikes -n N -o DIR [--size S] [--seed SEED]",
    .about = "Draws N side views of road bikes as PNG files bike_00000.png ... in DIR,\n"
             "with bikes.csv naming each file's background. About a quarter stand on a\n"
             "coloured, gradient or textured background: distractors that fakeit\n"
             "prepare rejects.\n",
    .opts = bikes_opts, .n_opts = sizeof bikes_opts / sizeof *bikes_opts, .size = sizeof(BikesOpts),
    .defaults = bikes_defaults, .max_pos = 0, .exec = exec_bikes,
};
