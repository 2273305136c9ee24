// recipe.c: the training recipes (see recipe.h). Their settings and the
// measurements behind the default are in docs/bikes/results.md.
#include "train/recipe.h"

#include <string.h>

#include "gan/augment.h"

static void original(WganConfig *c) { (void)c; }

// The seed's cure for mode collapse: a generator learning 5 times faster
// than the critic (the better of the two ratios measured, 2 and 5).
static void seed(WganConfig *c) { c->lr_g = 5 * c->lr_d; }

static void gp(WganConfig *c) { wgan_defaults_gp(c); }

// The study's winner at 64 x 64 on 879 bikes (docs/bikes/results.md).
static void fast(WganConfig *c) {
    c->ngf = c->ndf = 32;
    c->lr_d = 2e-4, c->lr_g = 4e-4;
    c->warm_iters = 5;
    c->augment = AUGMENT_ALL;
}

const TrainRecipe train_recipes[] = {
    {"fast", fast, 6000},
    {"original", original, 0},
    {"seed", seed, 5000},
    {"wgan-gp", gp, 5000},
    {NULL, NULL, 0},
};

const char *const train_recipe_default = "fast";

const TrainRecipe *train_recipe_find(const char *name) {
    for (const TrainRecipe *r = train_recipes; r->name; r++)
        if (!strcmp(r->name, name)) return r;
    return NULL;
}

void train_recipe_apply(const TrainRecipe *r, TrainOpts *o) {
    wgan_defaults(&o->cfg);
    r->config(&o->cfg);
    o->iters = r->iters;
    o->epochs = r->iters ? 0 : 25;
}
