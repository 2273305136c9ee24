// train.h: `fakeit train`, a whole training run: progress, metrics.csv,
// sample grids from a fixed noise batch, the loss chart, checkpoints, exact
// resume, and a clean stop on SIGINT / SIGTERM.
#ifndef FAKEIT_TRAIN_H
#define FAKEIT_TRAIN_H

#include "gan/wgan.h"

// Where a run stands after a generator iteration, for TrainOpts.progress.
typedef struct {
    long iteration, target, epoch;  // target 0: the run ends by epochs
    double wasserstein, loss_g, seconds, images_per_s;
} TrainProgress;

typedef struct {
    WganConfig cfg;
    const char *data;      // DATA.fkd, or a folder of images to prepare first (NULL on --resume: the stored path)
    const char *run_dir;   // RUN_DIR
    const char *backend;   // NULL: the default
    const char *precision; // NULL: fp32
    const char *augment;   // --augment as given (parsed into cfg.augment by the command)
    const char *recipe;    // --recipe as given (the command sets cfg and the length from it; train/recipe.h)
    long iters;            // generator iterations to reach (0: use epochs)
    long epochs;           // data passes (default 25, as the original)
    int threads;           // 0: all cores
    int sample_every;      // grid + chart every N generator iterations (500)
    int save_every;        // checkpoint every N generator iterations (500)
    int resume;            // continue the run in run_dir
    double time_limit;     // seconds of training before saving and stopping (0: none)
    int iters_set, epochs_set, sample_every_set;
    int data_changed;      // --data-changed: resume on a data set other than the run's (given explicitly)
    // quality over time: SWD of fakes against held-out reals every eval_every
    // generator iterations (0: never), eval_n images per set, the reals from
    // eval_data or else `holdout` images kept out of training (-1: automatic)
    int eval_every, eval_n, holdout;
    const char *eval_data;
    // for a program embedding fakeit (the library's fk_train): called after
    // every generator iteration, non-zero stops the run as a signal would
    // (saved, resumable); *stop set non-zero stops it too; quiet prints
    // nothing but errors
    int (*progress)(const TrainProgress *p, void *user);
    void *progress_user;
    volatile int *stop;
    int quiet;
} TrainOpts;

void train_defaults(TrainOpts *o);

// Exit statuses beyond 0, 1 (an error of the outside world) and 2 (a wrong
// option or a run that cannot start).
enum {
    TRAIN_DIVERGED = 3,  // a loss or weight went NaN or infinite; nothing was saved after it
    TRAIN_STOPPED = 4,   // stopped by TrainOpts.progress or .stop (after saving)
};

// Returns 0 when the run reached its end, 130 / 143 when stopped by
// SIGINT / SIGTERM (after saving), TRAIN_STOPPED, TRAIN_DIVERGED, or 1 or 2 on errors
// (after printing them).
int train_run(const TrainOpts *o);

#endif
