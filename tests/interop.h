// interop.h: the generator fakeit saves for PyTorch to load (fakeit ->
// PyTorch direction of the checkpoint tests). tests/fixture_ckpt.c writes it
// for `make fixtures`; test_train.c makes it again and checks the bytes.
#ifndef FAKEIT_TEST_INTEROP_H
#define FAKEIT_TEST_INTEROP_H

#include <stdlib.h>

#include "nn/checkpoint.h"
#include "gan/runstate.h"
#include "nn/dcgan.h"
#include "util/util.h"

enum { IO_SIZE = 32, IO_NZ = 16, IO_WIDTH = 8, IO_BATCH = 4 };

// A DCGAN generator (32 px, nz 16, ngf 8) with seeded DCGAN weights and the
// running statistics of two training-mode forwards, saved to `path`.
static inline Net *interop_generator(const Backend *be, const char *path) {
    WganConfig c;
    wgan_defaults(&c);
    c.isize = IO_SIZE, c.nz = IO_NZ, c.ngf = c.ndf = IO_WIDTH, c.batch = IO_BATCH;
    Net *G = dcgan_generator(be, IO_SIZE, IO_NZ, 3, IO_WIDTH, 0, DCGAN_NORM_BATCH);
    Rng r;
    rng_seed(&r, 5);
    dcgan_init(G, &r);
    net_set_batch(G, IO_BATCH);
    float z[IO_BATCH * IO_NZ];
    float *zd = be->alloc(IO_BATCH * IO_NZ);
    for (int k = 0; k < 2; k++) {
        rng_fill_normal(&r, z, IO_BATCH * IO_NZ, 0.0f, 1.0f);
        be->upload(zd, z, IO_BATCH * IO_NZ);
        net_forward(G, zd, IO_BATCH);
    }
    be->free(zd);
    char *meta = wgan_config_json(&c, "generator");
    FK_CHECK(ckpt_save_net(path, G, meta) == 0, "cannot write %s", path);
    free(meta);
    return G;
}

#endif
