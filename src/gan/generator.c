// generator.c: loading a trained generator (or critic) and drawing fakes.
#include "gan/generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dist/dist.h"
#include "gan/runstate.h"
#include "nn/checkpoint.h"
#include "nn/dcgan.h"
#include "util/rng.h"
#include "util/util.h"

static const char *const model_names[2] = {"netG.safetensors", "netD.safetensors"};

int gen_is_run(const char *path) {
    struct stat st;
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", path, model_names[0]);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && stat(buf, &st) == 0;
}

const char *gen_model_path(const char *path, int critic, char *buf, size_t n) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(buf, n, "%s%s%s", path, path[0] && path[strlen(path) - 1] == '/' ? "" : "/", model_names[critic]);
    else
        snprintf(buf, n, "%s", path);
    return buf;
}

char *gen_critic_beside(const char *generator_file) {
    const char *base = strrchr(generator_file, '/');
    base = base ? base + 1 : generator_file;
    const size_t len = strlen(generator_file), ext = strlen(".safetensors");
    if (strcmp(base, model_names[0]) != 0 && len > ext && !strcmp(generator_file + len - ext, ".safetensors")) {
        char *pair = fk_malloc(len + 8);
        snprintf(pair, len + 8, "%.*s-critic.safetensors", (int)(len - ext), generator_file);
        struct stat st;
        if (stat(pair, &st) == 0) return pair;
        free(pair);
    }
    return fk_beside(generator_file, model_names[1]);
}

Net *gen_load(const Backend *be, const char *path, int critic, WganConfig *cfg) {
    char file[4200];
    gen_model_path(path, critic, file, sizeof file);
    if (wgan_config_read(file, cfg) != 0) return NULL;
    // a damaged header must not make us build a network far larger than the file
    struct stat st;
    if (stat(file, &st) == 0 && 4.0 * wgan_param_floats(cfg, critic ? 2 : 1) > 2.0 * (double)st.st_size + (1 << 20)) {
        fk_error("%s: the configuration declares a %s far larger than the file holds (the file is damaged)", file,
                 critic ? "critic" : "generator");
        return NULL;
    }
    Net *net = critic ? dcgan_critic(be, cfg->isize, cfg->nc, cfg->ndf, cfg->n_extra, (DcganNorm)cfg->critic_norm)
                      : dcgan_generator(be, cfg->isize, cfg->nz, cfg->nc, cfg->ngf, cfg->n_extra,
                                        cfg->bn_g ? DCGAN_NORM_BATCH : DCGAN_NORM_NONE);
    if (ckpt_load_net(file, net) != 0) {
        if (critic ? strstr(file, "netG") != NULL : strstr(file, "netD") != NULL)
            fk_error("%s: this looks like the %s; pass the %s", file, critic ? "generator" : "critic",
                     critic ? "critic (netD.safetensors)" : "generator (netG.safetensors)");
        net_free(net);
        return NULL;
    }
    net_set_batch(net, cfg->batch);
    return net;
}

void gen_fakes(const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed, float *fakes, Net *D,
               float *scores) {
    const int B = cfg->batch;
    const size_t img = (size_t)cfg->nc * cfg->isize * cfg->isize;
    float *zh = fk_malloc((size_t)B * cfg->nz * sizeof(float)), *z = be->alloc((size_t)B * cfg->nz);
    float *fdev = D ? be->alloc((size_t)B * img) : NULL, *sb = D ? fk_malloc((size_t)B * sizeof(float)) : NULL;
    Rng rng;
    rng_seed(&rng, seed);
    for (int b = 0; b * B < n; b++) {
        rng_fill_normal(&rng, zh, (size_t)B * cfg->nz, 0.0f, 1.0f);  // every rank draws every batch's noise
        const int take = n - b * B < B ? n - b * B : B;
        if (b % dist_size() != dist_rank()) {  // another process's batch: zeros here, its values after the sum
            memset(fakes + (size_t)b * B * img, 0, (size_t)take * img * sizeof(float));
            if (D) memset(scores + (size_t)b * B, 0, (size_t)take * sizeof(float));
            continue;
        }
        be->upload(z, zh, (size_t)B * cfg->nz);
        const float *out = net_forward(G, z, B);
        be->download(fakes + (size_t)b * B * img, out, (size_t)take * img);
        if (D) {
            be->copy(fdev, out, (size_t)B * img);
            be->download(sb, net_forward(D, fdev, B), (size_t)B);
            memcpy(scores + (size_t)b * B, sb, (size_t)take * sizeof(float));
        }
    }
    free(zh), free(sb);
    be->free(z);
    if (fdev) be->free(fdev);
    dist_sum_f32(fakes, (size_t)n * img);  // exact: every value is summed with zeros only
    if (D) dist_sum_f32(scores, (size_t)n);
}

void gen_noise(const WganConfig *cfg, int n, uint64_t seed, float *z) {
    const size_t per = (size_t)cfg->batch * cfg->nz;
    Rng rng;
    rng_seed(&rng, seed);
    for (int b = 0; b * cfg->batch < n; b++) rng_fill_normal(&rng, z + b * per, per, 0.0f, 1.0f);
}

void gen_to_bytes(uint8_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const double v = rint((double)src[i] * 127.5 + 127.5);
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

void gen_fakes_bytes(uint8_t *dst, const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed) {
    const size_t img = (size_t)cfg->nc * cfg->isize * cfg->isize;
    float *f = fk_malloc((size_t)n * img * sizeof(float));
    gen_fakes(be, G, cfg, n, seed, f, NULL, NULL);
    gen_to_bytes(dst, f, (size_t)n * img);
    free(f);
}
