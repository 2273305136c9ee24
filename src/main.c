// main.c: the fakeit command line. Thin: parses options, calls the library.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bikes.h"
#include "dataset.h"
#include "prepare.h"
#include "safetensors.h"

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
    if (!strcmp(cmd, "prepare")) return cmd_prepare(argc - 1, argv + 1);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "bikes")) return cmd_bikes(argc - 1, argv + 1);
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
