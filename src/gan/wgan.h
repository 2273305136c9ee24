// wgan.h: the Wasserstein GAN of Arjovsky et al., trained exactly as the
// reference code (martinarjovsky/WassersteinGAN main.py) trains it.
//
// One generator iteration: Diters critic steps, each on a NEW real batch —
// clip every critic parameter to [-clip, clip], D(real) backward with +1,
// G(z) (no gradient), D(fake) backward with -1, one optimiser step — then one
// generator step through the frozen critic: D(G(z)) backward with +1.
// Diters is 100 while fewer than 25 generator iterations are done and every
// 500th, else 5. An epoch ends when the data run out, possibly in the middle
// of the critic steps (the generator step still follows), as in the original.
// Critic loss = D(real) - D(fake); -Loss_D is the Wasserstein estimate.
//
// DiffAugment (cfg.augment, Zhao et al. 2020): every image on its way into
// the critic — reals and fakes of each critic step, the penalty's
// interpolates (of the augmented pair), the fakes of the generator step — is
// augmented with its own random parameters, drawn after the step's noise
// (and alphas) from the trainer's generator; the generator learns through
// the augmentation's backward pass.
//
// WGAN-GP (Gulrajani et al. 2017, loss WGAN_LOSS_GP): no clipping; each
// critic step adds lambda * mean_n (||grad_x D(xhat_n)|| - 1)^2 at
// xhat = alpha real + (1 - alpha) fake, one alpha ~ U[0, 1) per sample, with
// its exact gradient (net_penalty_backward); the critic has no batch norm
// (none or layer norm); Adam lr 1e-4, betas (0, 0.9), 5 critic steps always.
// Loss_D then includes the penalty; the Wasserstein estimate stays
// D(fake) - D(real).
#ifndef FAKEIT_WGAN_H
#define FAKEIT_WGAN_H

#include "data/dataset.h"
#include "nn/dcgan.h"
#include "nn/net.h"
#include "nn/optimizer.h"
#include "util/rng.h"

typedef enum { WGAN_LOSS_CLIP = 0, WGAN_LOSS_GP = 1 } WganLoss;

typedef struct {
    int isize, nc, nz, ngf, ndf, n_extra;
    int loss;              // WganLoss: weight clipping (the original) or gradient penalty
    int critic_norm;       // DcganNorm of the critic: batch (the original), none or layer
    double gp_lambda;      // 10, the penalty's weight
    int bn_g;              // 1: batch norm in the generator (the original), 0: --no-bn-g
    int batch;             // 64
    int adam;              // 0: RMSprop (the original), 1: Adam
    double lr_g, lr_d;     // 5e-5 each
    double beta1, beta2;   // Adam: 0.5, 0.999
    double clip;           // 0.01
    int d_iters;           // 5
    int d_iters_warm;      // 100, while gen_iter < warm_iters or gen_iter % warm_every == 0
    int warm_iters;        // 25
    int warm_every;        // 500
    int augment;           // AUGMENT_* bits (gan/augment.h): DiffAugment before every critic pass; 0: none
    uint64_t seed;
} WganConfig;

void wgan_defaults(WganConfig *c);
// The WGAN-GP defaults on top of c: loss GP, critic without norm, lambda 10,
// Adam 1e-4 with betas (0, 0.9), 5 critic steps with no early phase.
void wgan_defaults_gp(WganConfig *c);

// Settings a user gave explicitly, which a loss's defaults leave alone.
enum {
    WGAN_GIVEN_LR_G = 1,
    WGAN_GIVEN_LR_D = 2,
    WGAN_GIVEN_BETA1 = 4,
    WGAN_GIVEN_BETA2 = 8,
    WGAN_GIVEN_D_ITERS = 16,
    WGAN_GIVEN_D_ITERS_WARM = 32,
    WGAN_GIVEN_CRITIC_NORM = 64,
};
// The defaults of c->loss for every setting not in `given` (WGAN_GIVEN_*
// bits): with WGAN_LOSS_GP the paper's (wgan_defaults_gp), always with Adam,
// the early critic steps following --d-iters when only that is given;
// nothing changes with clipping, whose defaults are wgan_defaults'.
void wgan_loss_defaults(WganConfig *c, unsigned given);

// Slots of Wgan.loss: the last critic step's three terms, the generator's loss.
enum { WGAN_LOSS_D_REAL, WGAN_LOSS_D_FAKE, WGAN_LOSS_PENALTY, WGAN_LOSS_G, WGAN_LOSSES };

typedef struct {
    WganConfig cfg;
    const Backend *be;
    Net *G, *D;
    Optim og, od;
    Rng rng;               // data order and noise
    const Dataset *ds;     // NULL when only sampling
    uint32_t *order;       // permutation of the data set for this epoch
    long gen_iter;         // generator iterations done
    long epoch;            // data passes started (1 during the first)
    long pos;              // next position in `order`
    long images;           // real images seen
    // the last iteration's figures
    float loss_d, loss_g, loss_d_real, loss_d_fake, loss_gp;
    int last_d_iters;
    // buffers (backend memory): batches, noise, gradients, scalars
    float *real, *z, *fake, *dfake, *dscore;
    float *loss;           // (WGAN_LOSSES) the last steps' losses, read back together
    int defer;             // 1 inside wgan_iteration: steps leave their losses on the backend
    int parallel;          // 1: one of the processes of an MPI job (dist), each computing its
                           // part of every batch (wgan_iteration; net_set_sync)
    // Optional: asked after every critic step; non-zero abandons the
    // iteration, whose start wgan_iteration then restores (a stop that cannot
    // wait for the iteration's end: under mpirun, which kills the processes a
    // second after it passes them a signal). NULL: iterations always finish.
    int (*interrupt)(void *user);
    void *interrupt_user;
    struct WganUndo *undo;  // that start, kept while interrupt is set
    float *xhat, *gx, *vgx, *ones;  // WGAN-GP: interpolates, their input gradient and its adjoint, dout = 1
    // DiffAugment (cfg.augment): the augmented reals and fakes the critic sees,
    // the gradient at the augmented fakes, and the parameter rows (2 batch,
    // AUG_PARAMS): reals' rows first, then the fakes' (backend and host memory)
    float *aug_real, *aug_fake, *daug, *aug_params, *host_aug;
    float *alpha;          // WGAN-GP: (batch) the interpolation weights, uploaded
    float *host_alpha;     // (batch) one alpha per sample, drawn on the host
    float *host_z;         // (batch, nz) staging for noise
    // the data set in backend memory: its bytes (uploaded once for a device
    // backend, the data set's own for a host one) and the batch's indices
    const unsigned char *pixels;
    float *pixels_store;   // the device copy (NULL for a host backend)
    unsigned *index;       // (batch) device indices (NULL for a host backend)
} Wgan;

// Builds both networks with DCGAN initialisation from cfg.seed. ds may be
// NULL (no training). Returns -1 when the configuration does not fit the data.
// Bytes a run of this configuration needs, roughly and from above:
// parameters, gradients and optimiser moments of both networks, activations
// and their gradients at the configured batch, plus `data_bytes` for the data
// set in memory. For refusing a run that cannot fit before allocating it.
double wgan_memory_estimate(const WganConfig *cfg, double data_bytes);
// Parameters and running statistics (floats, roughly and from above) of the
// generator (nets 1), the critic (2) or both (3): what a model file of this
// configuration must hold, to refuse one that declares more than it holds.
double wgan_param_floats(const WganConfig *cfg, int nets);

int wgan_init(Wgan *w, const WganConfig *cfg, const Backend *be, const Dataset *ds);
void wgan_free(Wgan *w);

// Critic steps for this iteration (100 or d_iters), and for any iteration.
int wgan_diters(const Wgan *w);
int wgan_diters_at(const WganConfig *c, long gen_iter);

// One generator iteration on the data set (critic steps, then the generator
// step). Returns 0, or 1 when w->interrupt stopped it: the networks,
// optimisers, data position and random generator are then as before it.
int wgan_iteration(Wgan *w);

// The two halves, on explicit batches (backend memory), for tests that
// replay PyTorch: real (n, C, H, W), z (batch, nz, 1, 1), alpha (n, host
// memory) the interpolation weights of WGAN-GP (ignored with clipping).
void wgan_critic_step(Wgan *w, const float *real, int n, const float *z, const float *alpha);
// The critic step on explicit real (n) and fake (nf >= n) batches, for a
// critic trained against another network (sr-train --adversarial); the
// penalty pairs real sample b with fake sample b.
void wgan_critic_update(Wgan *w, const float *real, int n, const float *fake, int nf, const float *alpha);
void wgan_generator_step(Wgan *w, const float *z);

// Data-set bytes -> network input in [-1, 1], exactly as torchvision's
// ToTensor then Normalize(0.5, 0.5) computes it (and images_from_bytes, on
// the backend, for training batches).
void wgan_pixels_to_float(float *dst, const uint8_t *src, size_t n);

// Fills w->z with N(0, 1) noise for `n` samples from the trainer's generator.
void wgan_noise(Wgan *w, float *host, int n);

#endif
