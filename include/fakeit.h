/* fakeit.h: fakeit as a C library (libfakeit.so; pkg-config --cflags --libs fakeit).
 *
 * Draw fakes from a trained generator, upscale images with a super-
 * resolution model, prepare a data set from a folder of images, and train a
 * Wasserstein GAN with a progress callback and a stop flag: the same code as
 * the fakeit program, which shares this front end (src/cli/api.c).
 *
 * Conventions:
 *   - Every function that can fail returns an fk_status; FK_OK is 0. After a
 *     failure fk_last_error() says what went wrong and, for files, which one
 *     and what to do (the messages the fakeit program prints).
 *   - Messages also go to stderr, as the program prints them, unless
 *     fk_set_quiet(1).
 *   - Handles are opaque; each is used by one thread at a time. Images are
 *     bytes, rows top to bottom, channels interleaved (RGB, or grey for
 *     one-channel models).
 *   - A broken invariant inside fakeit (a bug) or an exhausted memory
 *     aborts the process with a message naming the place, as in the program.
 */
#ifndef FAKEIT_H
#define FAKEIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAKEIT_VERSION_MAJOR 0
#define FAKEIT_VERSION_MINOR 3
#define FAKEIT_VERSION_PATCH 0
#define FAKEIT_VERSION "0.3.0"

typedef enum {
    FK_OK = 0,
    FK_ERR_ARGUMENT = 1,  /* a wrong argument or option (NULL, out of range, unknown) */
    FK_ERR_FILE = 2,      /* a file missing, unreadable, damaged or not what was expected */
    FK_ERR_WRITE = 3,     /* a file or folder could not be written (disk full, permissions) */
    FK_ERR_BACKEND = 4,   /* the compute backend asked for cannot run here */
    FK_ERR_BUSY = 5,      /* the run folder is being trained by another process */
    FK_ERR_DIVERGED = 6,  /* training diverged (NaN or infinite); the last checkpoint is kept */
    FK_STOPPED = 7        /* training stopped by the stop flag or the callback, after saving */
} fk_status;

/* The library's version ("0.3.0"), which may be newer than the header's. */
const char *fk_version(void);
/* What the last failing call in this thread said (one message per line; "" if none). */
const char *fk_last_error(void);
/* A word for a status ("FK_ERR_FILE"). */
const char *fk_status_name(fk_status s);
/* 1: no messages on stderr (they are still kept for fk_last_error); for the whole process. */
void fk_set_quiet(int quiet);

/* Runs a fakeit command line, as the fakeit program does (its main() is
 * this call): argv[0] the program's name, argv[1] the command ("train",
 * "sample", "eval", ...), then its arguments. Returns the exit status: 0,
 * 1 (a file or the outside world was wrong), 2 (a wrong option), 3 (training
 * diverged), 128 + N (stopped by signal N). */
int fk_main(int argc, char **argv);

/* ------------------------------------------------------------------------
 * Generators: netG.safetensors, or a run folder */

typedef struct fk_generator fk_generator;

typedef struct {
    int size;      /* images are size x size */
    int channels;  /* 3 (RGB) or 1 (grey) */
    int noise;     /* the noise vector's length (nz) */
    int batch;     /* the training batch: fakes are drawn whole batches at a time */
} fk_generator_info;

/* Opens a generator. backend: NULL for the fastest here, or a name of
 * `fakeit backends` ("cpu", "ref", "cuda"); threads: 0 for all cores. */
fk_status fk_generator_open(fk_generator **g, const char *model, const char *backend, int threads);
void fk_generator_info_get(const fk_generator *g, fk_generator_info *info);
/* n fakes from noise of `seed` into pixels (n x size x size x channels
 * bytes): the images `fakeit sample MODEL -n N --seed SEED` writes. */
fk_status fk_generator_sample(fk_generator *g, uint64_t seed, int n, uint8_t *pixels);
/* The same as floats in [-1, 1], planar: (n, channels, size, size). */
fk_status fk_generator_sample_float(fk_generator *g, uint64_t seed, int n, float *images);
void fk_generator_close(fk_generator *g);

/* ------------------------------------------------------------------------
 * Upscaling: a model of fakeit sr-train, the shipped bikes-x4 model, or bicubic */

typedef struct fk_upscaler fk_upscaler;

/* model: a model file, NULL for the shipped default (bikes-x4), or "bicubic"
 * (scale 2 or 4); scale 0 takes the model's. */
fk_status fk_upscaler_open(fk_upscaler **u, const char *model, int scale, const char *backend, int threads);
int fk_upscaler_scale(const fk_upscaler *u);
/* rgb (height x width x 3 bytes) -> out (height*scale x width*scale x 3),
 * as `fakeit upscale` (in tiles, any size). */
fk_status fk_upscale(fk_upscaler *u, const uint8_t *rgb, int width, int height, uint8_t *out);
void fk_upscaler_close(fk_upscaler *u);

/* ------------------------------------------------------------------------
 * Data sets and training. Options are those of the fakeit commands, written
 * as on the command line ({"--size", "32", "--background", "any", NULL}), so
 * every option, range check and message of `fakeit prepare --help` and
 * `fakeit train --help` applies. Options are parsed with getopt, so call
 * fk_prepare, fk_train and fk_main from one thread at a time (a run itself
 * uses every core it is given). */

/* Prepares the folders or files `inputs` (n of them) into the data set
 * `out` (DATA.fkd); *kept (may be NULL) gets the images kept. */
fk_status fk_prepare(const char *const *inputs, int n, const char *out, const char *const *options, int *kept);

typedef struct {
    long iteration;       /* generator iterations done */
    long target;          /* to reach (0: the run ends by epochs) */
    long epoch;
    double wasserstein;   /* the critic's Wasserstein estimate */
    double loss_g;
    double seconds;       /* training seconds so far */
    double images_per_s;
} fk_progress;

/* Called after every generator iteration; non-zero stops the run (saved,
 * resumable), as the stop flag does. */
typedef int (*fk_progress_fn)(const fk_progress *p, void *user);

/* Trains on `data` (DATA.fkd or a folder) into the run folder `run_dir`
 * (data NULL and "--resume" in options: continues it). progress (may be
 * NULL) is called after each iteration; *stop (may be NULL) set non-zero from
 * any thread stops the run at the end of the iteration. FK_STOPPED when
 * stopped that way (the run is saved; resume it), FK_OK at its end. */
fk_status fk_train(const char *data, const char *run_dir, const char *const *options, fk_progress_fn progress,
                   void *user, volatile int *stop);

#ifdef __cplusplus
}
#endif
#endif
