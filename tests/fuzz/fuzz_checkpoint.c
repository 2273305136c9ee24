// fuzz_checkpoint.c: the safetensors reader and everything that reads a
// checkpoint's metadata and tensors, on arbitrary bytes: as a file
// (st_load), as a generator and as a critic (gen_load), as a super-resolution
// model (sr_load), and as a run's state (runstate_metadata, the configuration
// it declares, runstate_load into networks of that configuration). Each
// either refuses with a message or reads only what is there.
#include "backend/backend.h"
#include "fuzz.h"
#include "gan/generator.h"
#include "gan/runstate.h"
#include "gan/wgan.h"
#include "nn/safetensors.h"
#include "nn/srnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    static const Backend *be;
    if (!be) be = backend_pick("ref", 1, NULL);
    const char *path = fuzz_file(data, n, "state.safetensors");
    StFile f;
    if (st_load(&f, path) != 0) return 0;  // the rest reads it again through the same reader
    double sum = 0;
    for (int i = 0; i < f.n; i++)
        if (f.tensors[i].dtype == ST_F32 && st_numel(&f.tensors[i]) > 0) sum += ((const float *)f.tensors[i].data)[st_numel(&f.tensors[i]) - 1];
    st_free(&f);
    for (int critic = 0; critic < 2; critic++) {
        WganConfig cfg;
        Net *net = gen_load(be, path, critic, &cfg);
        if (net) net_free(net);
    }
    SrConfig sc;
    Net *sr = sr_load(be, path, &sc, 16, 16);
    if (sr) net_free(sr);
    char *meta = runstate_metadata(fuzz_dir());
    WganConfig cfg;
    if (meta && wgan_config_parse(meta, &cfg, path) == 0) {
        Wgan w;
        float fixed[64 * 64];
        const int n_fixed = cfg.batch < 64 ? cfg.batch : 64;
        // train refuses a run that cannot fit before building it (check_memory); here the budget is fixed
        const int fits = wgan_memory_estimate(&cfg, 0) < 256e6 && 4 * wgan_param_floats(&cfg, 3) <= 2.0 * n + (1 << 20);
        if (fits && (size_t)n_fixed * cfg.nz <= sizeof fixed / sizeof *fixed && wgan_init(&w, &cfg, be, NULL) == 0) {
            runstate_load(fuzz_dir(), &w, fixed, n_fixed);
            wgan_free(&w);
        }
    }
    free(meta);
    return sum == 12345.0;
}
