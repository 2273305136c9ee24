// recipe.h: named training recipes — a WGAN configuration and a length that
// `fakeit train --recipe NAME` starts from (options given explicitly still
// win). The default one is the recipe that won the 64x64 bike study
// (docs/bikes/results.md); the original stays one option away.
#ifndef FAKEIT_RECIPE_H
#define FAKEIT_RECIPE_H

#include "train/train.h"

// What `fakeit train --help` says of them (kept beside the table in recipe.c).
#define TRAIN_RECIPES_HELP                                                                        \
    "Recipes (--recipe NAME; options given explicitly change any of their settings):\n"           \
    "  fast      the default: width 32 (ngf = ndf = 32), clipping 0.01, RMSprop with\n"           \
    "            lr-d 2e-4 and lr-g 4e-4, 5 early iterations of 100 critic steps,\n"             \
    "            DiffAugment translation,cutout,color; 6000 generator iterations\n"             \
    "  original  the WGAN of Arjovsky et al. as its reference code trains it:\n"                 \
    "            width 64, clipping 0.01, RMSprop 5e-5, 5 critic steps (100 for\n"              \
    "            the first 25 generator iterations and every 500th); 25 epochs\n"                \
    "  seed      the original with the seed's cure for mode collapse, a generator\n"            \
    "            5 times faster (lr-g 2.5e-4); 5000 generator iterations\n"                      \
    "  wgan-gp   WGAN-GP with the paper's settings: width 64, penalty 10, no norm\n"            \
    "            in the critic, Adam 1e-4 betas (0, 0.9), 5 critic steps; 5000\n"               \
    "            generator iterations\n"

typedef struct {
    const char *name;
    void (*config)(WganConfig *c);  // on top of wgan_defaults (the original's)
    long iters;                   // its length in generator iterations; 0: 25 epochs, as the original
} TrainRecipe;

extern const TrainRecipe train_recipes[];  // ends with a NULL name
extern const char *const train_recipe_default;

// The recipe called `name`, or NULL.
const TrainRecipe *train_recipe_find(const char *name);
// o's configuration and length as the recipe gives them (the rest of o is left alone).
void train_recipe_apply(const TrainRecipe *r, TrainOpts *o);

#endif
