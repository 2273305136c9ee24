// test_engine.c: the engine's promises that are not about one op's numbers.
//
// - the random generator and DCGAN initialisation are seedable and bit-exact;
// - DCGAN networks have PyTorch's tensor names, shapes and parameter counts;
// - one contiguous block per role, tensors tiling it without gaps or overlap;
// - a few WGAN steps give the same bits twice, and the reference backend gives
//   the same bits with 1 and 2 threads;
// - broken invariants (a batch size mismatch) abort loudly;
// - malformed safetensors files are refused, never read out of bounds.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "nn/dcgan.h"
#include "nn/net.h"
#include "nn/srnet.h"
#include "ops/ops.h"
#include "nn/optimizer.h"
#include "util/rng.h"
#include "nn/safetensors.h"
#include "util/util.h"
#include "testlib.h"

static const Backend *be = &backend_ref;

static void test_rng(void) {
    Rng a, b, c;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    rng_seed(&c, 8);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a), y = rng_u64(&b), z = rng_u64(&c);
        same &= x == y;
        differ |= x != z;
    }
    tl_check(same && differ, "rng: a seed gives one stream, another seed another");
    rng_seed(&a, 1);
    tl_check(rng_u64(&a) == 0xb3f2af6d0fc710c5ULL, "rng: xoshiro256** seeded by splitmix64 gives its known first value");
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double v = rng_normal(&a);
        s += v, s2 += v * v;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    tl_check(fabs(mean) < 0.01 && fabs(var - 1) < 0.01, "rng: normal mean %.4f var %.4f", mean, var);
}

// Derivatives at exactly the kink, where finite differences cannot look:
// PyTorch takes the negative side's (ReLU 0, LeakyReLU slope, PReLU a) and
// sign(0) = 0 for L1.
static void test_kinks(void) {
    const float zero[2] = {0.0f, 0.0f}, one[2] = {1.0f, 1.0f}, a[1] = {0.25f};
    float d[2] = {0, 0};
    be->relu_backward(d, one, zero, 1);
    be->lrelu_backward(d + 1, one, zero, 1, 0.2f, 1);
    tl_check(d[0] == 0.0f && d[1] == 0.2f, "kinks: relu'(0) = %g (want 0), leaky relu'(0) = %g (want 0.2)", d[0], d[1]);
    float da = 0;
    d[0] = 0;
    be->prelu_backward(d, &da, one, zero, a, 1, 1, 1);
    tl_check(d[0] == 0.25f && da == 0.0f, "kinks: prelu'(0) = %g (want a = 0.25), d/da = %g (want 0)", d[0], da);
    d[0] = d[1] = 0;
    be->l1_loss_backward(d, one, one, 2);
    tl_check(d[0] == 0.0f && d[1] == 0.0f, "kinks: L1 gradient where pred = target is 0");
}

static float *host_params(const Net *net) {
    float *h = fk_malloc(net->n_params * sizeof(float));
    be->download(h, net->params, net->n_params);
    return h;
}

static void test_init(void) {
    Net *g1 = dcgan_generator(be, 64, 100, 3, 64, 0, DCGAN_NORM_BATCH);
    Net *g2 = dcgan_generator(be, 64, 100, 3, 64, 0, DCGAN_NORM_BATCH);
    Rng r1, r2;
    rng_seed(&r1, 123);
    rng_seed(&r2, 123);
    dcgan_init(g1, &r1);
    dcgan_init(g2, &r2);
    float *p1 = host_params(g1), *p2 = host_params(g2);
    tl_check(memcmp(p1, p2, g1->n_params * sizeof(float)) == 0, "dcgan_init: same seed, bit-identical weights");
    rng_seed(&r2, 124);
    dcgan_init(g2, &r2);
    free(p2);
    p2 = host_params(g2);
    tl_check(memcmp(p1, p2, g1->n_params * sizeof(float)) != 0, "dcgan_init: another seed, other weights");
    // statistics per tensor kind
    double cs = 0, cs2 = 0, bs = 0, bs2 = 0, bias_abs = 0;
    size_t cn = 0, bn = 0;
    for (int i = 0; i < g1->n_tensors; i++) {
        const NetTensor *t = &g1->tensors[i];
        if (t->role != NET_PARAM) continue;
        const float *v = p1 + t->off;
        size_t n = net_tensor_size(t);
        int is_bn = strstr(t->name, "batchnorm") != NULL, is_bias = strstr(t->name, ".bias") != NULL;
        for (size_t j = 0; j < n; j++) {
            if (!is_bn) cs += v[j], cs2 += (double)v[j] * v[j], cn++;
            else if (!is_bias) bs += v[j], bs2 += (double)v[j] * v[j], bn++;
            else bias_abs += fabsf(v[j]);
        }
    }
    double cm = cs / cn, csd = sqrt(cs2 / cn - cm * cm), bm = bs / bn, bsd = sqrt(bs2 / bn - bm * bm);
    tl_check(fabs(cm) < 1e-3 && fabs(csd - 0.02) < 2e-4, "dcgan_init: conv weights mean %.5f std %.5f (want 0, 0.02)", cm, csd);
    tl_check(fabs(bm - 1) < 3e-3 && fabs(bsd - 0.02) < 3e-3, "dcgan_init: batch-norm weights mean %.4f std %.4f (want 1, 0.02)", bm, bsd);
    tl_check(bias_abs == 0, "dcgan_init: batch-norm biases 0");
    free(p1), free(p2);
    net_free(g1), net_free(g2);
}

// Parameter counts and state_dict sizes printed by PyTorch for the reference
// DCGAN_G / DCGAN_D (nz 100, ngf = ndf = 64, nc 3); state_dict sizes exclude
// num_batches_tracked (one per batch norm).
static void test_shapes(void) {
    const struct { int isize, extra; size_t g, d; int gt, dt; } want[] = {
        {32, 0, 1068928, 663296, 19 - 3, 14 - 2},
        {64, 0, 3576704, 2765568, 25 - 4, 20 - 3},
        {128, 0, 12786560, 11164416, 31 - 5, 26 - 4},
        {256, 0, 47983488, 44739328, 37 - 6, 32 - 5},
        {64, 1, 3613696, 2802560, 31 - 5, 26 - 4},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        Net *g = dcgan_generator(be, want[i].isize, 100, 3, 64, want[i].extra, DCGAN_NORM_BATCH);
        Net *d = dcgan_critic(be, want[i].isize, 3, 64, want[i].extra, DCGAN_NORM_BATCH);
        Dims go = net_out_dims(g), dout = net_out_dims(d);
        tl_check(g->n_params == want[i].g && d->n_params == want[i].d && g->n_tensors == want[i].gt &&
                     d->n_tensors == want[i].dt && go.C == 3 && go.H == want[i].isize && go.W == want[i].isize &&
                     dout.C == 1 && dout.H == 1 && dout.W == 1,
                 "dcgan %dpx extra %d: G %zu params %d tensors, D %zu params %d tensors, G out %dx%dx%d, D out %dx%dx%d",
                 want[i].isize, want[i].extra, g->n_params, g->n_tensors, d->n_params, d->n_tensors,
                 go.C, go.H, go.W, dout.C, dout.H, dout.W);
        net_free(g), net_free(d);
    }
    Net *d = dcgan_critic(be, 64, 3, 64, 0, DCGAN_NORM_BATCH);
    const NetTensor *t = net_tensor(d, "main.pyramid:64-128:conv.weight");
    tl_check(t && t->ndim == 4 && t->dims[0] == 128 && t->dims[1] == 64 && t->dims[2] == 4 && t->dims[3] == 4,
             "critic tensor 'main.pyramid:64-128:conv.weight' is (128, 64, 4, 4)");
    t = net_tensor(d, "main.pyramid:512:batchnorm.running_var");
    tl_check(t && t->role == NET_BUFFER && t->dims[0] == 512, "critic buffer 'main.pyramid:512:batchnorm.running_var'");
    net_free(d);
    Net *g = dcgan_generator(be, 64, 100, 3, 64, 0, DCGAN_NORM_NONE);
    t = net_tensor(g, "main.initial:100-512:convt.weight");
    tl_check(t && t->dims[0] == 100 && t->dims[1] == 512 && g->n_buffers == 0 && net_tensor(g, "main.initial:512:batchnorm.weight") == NULL,
             "generator without batch norm: (100, 512, 4, 4) first layer, no norm tensors");
    net_free(g);
    Net *c = dcgan_critic(be, 64, 3, 64, 0, DCGAN_NORM_LAYER);
    tl_check(net_tensor(c, "main.pyramid:128:layernorm.weight") && c->n_buffers == 0,
             "critic with layer norm: per-channel layer-norm weights, no running statistics");
    net_free(c);
}

// Parameters tile [0, n_params) and buffers [0, n_buffers) in order, no gaps.
static void test_layout(void) {
    Net *d = dcgan_critic(be, 64, 3, 16, 1, DCGAN_NORM_BATCH);
    size_t next[2] = {0, 0};
    int ok = 1;
    for (int i = 0; i < d->n_tensors; i++) {
        const NetTensor *t = &d->tensors[i];
        ok &= t->off == next[t->role];
        next[t->role] += net_tensor_size(t);
    }
    tl_check(ok && next[NET_PARAM] == d->n_params && next[NET_BUFFER] == d->n_buffers,
             "tensors tile the parameter (%zu) and buffer (%zu) blocks in order", d->n_params, d->n_buffers);
    net_free(d);
}

// The gradient buffers' plan (net.h): every layer's output gradient has a
// buffer; buffers alive at the same backward step never overlap; a chain
// needs well under one buffer per output (< 60 % of that for a DCGAN pair); with the penalty dacts mirrors acts.
static int plan_ok(const Net *net) {
    int ok = net->grad_floats >= 1;
    for (int a = 0; a < net->n_gbuf; a++) {
        const struct NetGrad *g = &net->gbuf[a];
        ok &= g->last <= g->first && g->off + g->n <= net->grad_floats;
        for (int b = a + 1; b < net->n_gbuf; b++) {
            const struct NetGrad *h = &net->gbuf[b];
            const int in_time = h->last <= g->first && g->last <= h->first;
            ok &= !(in_time && g->off < h->off + h->n && h->off < g->off + g->n);
        }
    }
    for (int i = 0; i < net->n_layers; i++) {  // each output's gradient is one of the buffers
        int found = 0;
        for (int a = 0; a < net->n_gbuf; a++)
            found |= net->gbuf[a].off == net->layers[i].gout && net->gbuf[a].last <= i;
        ok &= found;
    }
    return ok;
}

// Floats of one gradient per layer output (a fused batch norm shares its activation's).
static double one_per_output(const Net *net) {
    double n = 0;
    for (int i = 0; i < net->n_layers; i++)
        if (!net->layers[i].fused) n += (double)net->batch * dims_size(net->layers[i].od);
    return n;
}

static void test_grad_plan(void) {
    for (const Backend *const *b = backend_all(); *b; b++) {
        Net *g = dcgan_generator(*b, 64, 100, 3, 64, 0, DCGAN_NORM_BATCH);
        Net *d = dcgan_critic(*b, 64, 3, 64, 0, DCGAN_NORM_BATCH);
        SrConfig sc;
        sr_defaults(&sc);
        Net *sr = sr_net(*b, &sc, 24, 24);
        net_set_batch(g, 8), net_set_batch(d, 8), net_set_batch(sr, 2);
        tl_check(plan_ok(g) && plan_ok(d) && plan_ok(sr), "[%s] gradient buffers: disjoint while alive, one per output",
                 (*b)->name);
        const double gs = one_per_output(g), ds = one_per_output(d);
        tl_check(10 * g->grad_floats < 6 * gs && 10 * d->grad_floats < 6 * ds,
                 "[%s] gradient buffers shared by liveness: generator %.0f%%, critic %.0f%% of one per output",
                 (*b)->name, 100.0 * g->grad_floats / gs, 100.0 * d->grad_floats / ds);
        tl_check(d->layers[0].conv_act == ((*b)->conv2d_act_forward != NULL) &&
                     (!d->layers[0].conv_act || d->layers[0].out == d->layers[1].out),
                 "[%s] the critic's first convolution %s its LeakyReLU", (*b)->name,
                 (*b)->conv2d_act_forward ? "runs with" : "runs apart from");
        net_free(g), net_free(d), net_free(sr);
        Net *c = dcgan_critic(*b, 32, 3, 16, 0, DCGAN_NORM_LAYER);
        net_enable_penalty(c);
        net_set_batch(c, 4);
        int same = c->grad_floats == c->act_floats;
        for (int i = 0; i < c->n_layers; i++) same &= c->layers[i].gout == c->layers[i].out;
        tl_check(same, "[%s] with the gradient penalty every output keeps its gradient", (*b)->name);
        net_free(c);
    }
}

// A few WGAN steps on a 32px pair (critic steps with clipping and RMSprop,
// then a generator step); returns both networks' parameters, concatenated.
static float *wgan_steps(int threads, size_t *n_out) {
    enum { S = 32, NZ = 12, B = 5 };
    be->set_threads(threads);
    Net *G = dcgan_generator(be, S, NZ, 3, 8, 1, DCGAN_NORM_BATCH);
    Net *D = dcgan_critic(be, S, 3, 8, 1, DCGAN_NORM_BATCH);
    Rng rng;
    rng_seed(&rng, 99);
    dcgan_init(G, &rng);
    dcgan_init(D, &rng);
    net_set_batch(G, B);
    net_set_batch(D, B);
    const size_t img = (size_t)B * 3 * S * S;
    float *real = fk_malloc(img * sizeof(float)), *z = fk_malloc((size_t)B * NZ * sizeof(float));
    float *fake = be->alloc(img), *dfake = be->alloc(img), *ds = be->alloc(B), *loss = be->alloc(1);
    Optim od = optim_rmsprop(5e-5), og = optim_rmsprop(5e-5);
    for (int it = 0; it < 2; it++) {
        for (int k = 0; k < 3; k++) {
            for (size_t i = 0; i < img; i++) real[i] = (float)(2 * rng_uniform(&rng) - 1);
            rng_fill_normal(&rng, z, (size_t)B * NZ, 0, 1);
            net_clip_weights(D, 0.01f);
            net_zero_grads(D);
            net_forward(D, real, B);
            be->zero(ds, B);
            be->wgan_loss_backward(ds, B, +1);
            net_backward(D, ds, NULL, 1);
            be->copy(fake, net_forward(G, z, B), img);
            net_forward(D, fake, B);
            be->zero(ds, B);
            be->wgan_loss_backward(ds, B, -1);
            net_backward(D, ds, NULL, 1);
            optim_step(&od, D);
        }
        rng_fill_normal(&rng, z, (size_t)B * NZ, 0, 1);
        net_zero_grads(G);
        const float *s = net_forward(D, net_forward(G, z, B), B);
        be->wgan_loss_forward(loss, s, B, +1);
        be->zero(ds, B);
        be->wgan_loss_backward(ds, B, +1);
        be->zero(dfake, img);
        net_backward(D, ds, dfake, 0);
        net_backward(G, dfake, NULL, 1);
        optim_step(&og, G);
    }
    *n_out = G->n_params + D->n_params + G->n_buffers + D->n_buffers;
    float *out = fk_malloc(*n_out * sizeof(float));
    be->download(out, G->params, G->n_params);
    be->download(out + G->n_params, D->params, D->n_params);
    be->download(out + G->n_params + D->n_params, G->buffers, G->n_buffers);
    be->download(out + G->n_params + D->n_params + G->n_buffers, D->buffers, D->n_buffers);
    free(real), free(z);
    be->free(fake), be->free(dfake), be->free(ds), be->free(loss);
    net_free(G), net_free(D);
    return out;
}

static void test_reproducible(void) {
    size_t n1, n2, n3;
    float *a = wgan_steps(2, &n1), *b = wgan_steps(2, &n2), *c = wgan_steps(1, &n3);
    tl_check(n1 == n2 && memcmp(a, b, n1 * sizeof(float)) == 0, "wgan steps: same seed, 2 threads twice: bit-identical (%zu values)", n1);
    tl_check(n1 == n3 && memcmp(a, c, n1 * sizeof(float)) == 0, "wgan steps: 1 thread and 2 threads: bit-identical (reference backend)");
    free(a), free(b), free(c);
}

// Runs fn in a child process; 1 if the child died of SIGABRT.
static int aborts(void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        fn();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void forward_wrong_batch(void) {
    Net *d = dcgan_critic(be, 32, 3, 8, 0, DCGAN_NORM_BATCH);
    net_set_batch(d, 4);
    float *x = be->alloc(5 * 3 * 32 * 32);
    net_forward(d, x, 5);
}

static void add_mismatched(void) {
    Net *n = net_create(be, 3, 8, 8);
    int a = net_conv2d(n, NET_INPUT, "a", 4, 3, 1, 1, 0);
    net_add(n, a, NET_INPUT, "bad");  // 4 channels + 3 channels
}

// backend_check on a copy of a backend's table with one change: 1 when the
// child aborted and its message names `want`.
static Backend edited;
static void check_edited(void) { backend_check(&edited); }
static int check_aborts_naming(const char *want) {
    char path[] = "/tmp/fakeit-check-XXXXXX";
    const int fd = mkstemp(path);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        check_edited();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    char msg[4096] = "";
    const ssize_t n = pread(fd, msg, sizeof msg - 1, 0);
    msg[n > 0 ? n : 0] = 0;
    close(fd), unlink(path);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(msg, want) != NULL;
}

static int all_blocked(int C, int H, int W) { return (void)C, (void)H, (void)W, 1; }
static void act_forward(float *out, float *sm, float *sr, float *rm, float *rv, const float *inp, const float *g,
                        const float *b, int N, int C, int HW, float eps, float mom, float slope) {
    (void)out, (void)sm, (void)sr, (void)rm, (void)rv, (void)inp, (void)g, (void)b, (void)N, (void)C, (void)HW;
    (void)eps, (void)mom, (void)slope;
}

static void test_backend_tables(void) {
    for (const Backend *const *b = backend_built(); *b; b++) {  // those that cannot run here too
        edited = **b;
        tl_check(!check_aborts_naming("check"), "[%s] backend_check passes the whole table", (*b)->name);
        edited.conv2d_backward = NULL;
        tl_check(check_aborts_naming("conv2d_backward"), "[%s] a NULL conv2d_backward aborts naming it", (*b)->name);
        edited = **b;
        edited.clip_weights = NULL, edited.set_threads = NULL;
        tl_check(check_aborts_naming("set_threads clip_weights"),
                 "[%s] NULL set_threads and clip_weights (the first and last entries) abort naming both", (*b)->name);
    }
    edited = backend_ref;
    edited.blocked = all_blocked;
    tl_check(check_aborts_naming("to_native and to_plain"), "a blocked layout without to_native and to_plain aborts");
    edited = backend_ref;
    edited.batchnorm_act_forward_train = act_forward;
    tl_check(check_aborts_naming("one direction"), "batch norm fused with its activation forward only aborts");
}

static void test_invariants(void) {
    tl_check(aborts(forward_wrong_batch), "forward with a batch larger than the allocated one aborts");
    tl_check(aborts(add_mismatched), "residual add of mismatched shapes aborts at build time");
    test_backend_tables();
}

// ---------------------------------------------------------------------------
// safetensors: a valid file, and every kind of broken one

static const char *tmpdir;

static void write_file(const char *name, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    FK_CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

// header JSON + data bytes, with the 8-byte length prefix
static void write_st(const char *name, const char *json, const void *data, size_t ndata, int64_t claim) {
    size_t hl = strlen(json);
    unsigned char *buf = fk_malloc(8 + hl + ndata);
    uint64_t l = claim >= 0 ? (uint64_t)claim : hl;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(l >> (8 * i));
    memcpy(buf + 8, json, hl);
    if (ndata) memcpy(buf + 8 + hl, data, ndata);
    write_file(name, buf, 8 + hl + ndata);
    free(buf);
}

static int loads(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    StFile f;
    fflush(stdout);
    int rc = st_load(&f, path);
    if (rc == 0) st_free(&f);
    return rc == 0;
}

static void test_safetensors(void) {
    char tmpl[] = "/tmp/fakeit-test-XXXXXX";
    tmpdir = mkdtemp(tmpl);
    FK_CHECK(tmpdir, "mkdtemp failed");
    float data[6] = {1, 2, 3, 4, 5, 6};
    write_st("good.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                        "\"__metadata__\":{\"k\":\"v\"}}", data, 24, -1);
    {
        char path[512];
        snprintf(path, sizeof path, "%s/good.st", tmpdir);
        StFile f;
        int ok = st_load(&f, path) == 0;
        const StTensor *b = ok ? st_find(&f, "b") : NULL;
        tl_check(ok && f.n == 2 && b && b->ndim == 1 && ((const float *)b->data)[1] == 6.0f && f.metadata &&
                     strstr(f.metadata, "\"k\":\"v\""),
                 "safetensors: a valid file loads with its tensors and metadata");
        if (ok) st_free(&f);
    }
    printf("# the refusals below print their messages on stderr\n");
    write_file("empty.st", "", 0);
    tl_check(!loads("empty.st"), "safetensors: empty file refused");
    write_st("trunc.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data, 10, -1);
    tl_check(!loads("trunc.st"), "safetensors: truncated data refused");
    write_st("hlen.st", "{}", NULL, 0, 1000);
    tl_check(!loads("hlen.st"), "safetensors: header length beyond the file refused");
    write_st("huge.st", "{}", NULL, 0, 100LL << 20);
    tl_check(!loads("huge.st"), "safetensors: a 100 MB header refused before reading it");
    write_st("json.st", "{\"a\":{\"dtype\":\"F32\",", data, 8, -1);
    tl_check(!loads("json.st"), "safetensors: malformed JSON refused");
    write_st("magic.st", "PK\x03\x04 not json at all", NULL, 0, -1);
    tl_check(!loads("magic.st"), "safetensors: a file of another format refused");
    write_st("range.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", data, 24, -1);
    tl_check(!loads("range.st"), "safetensors: data offsets beyond the data refused");
    write_st("overlap.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data, 24, -1);
    tl_check(!loads("overlap.st"), "safetensors: overlapping tensors refused");
    write_st("dup.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data, 24, -1);
    tl_check(!loads("dup.st"), "safetensors: a tensor named twice refused");
    tl_check(!loads("."), "safetensors: a directory refused");
    write_st("shape.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", data, 24, -1);
    tl_check(!loads("shape.st"), "safetensors: shape that does not match its byte span refused");
    write_st("dtype.st", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", data, 24, -1);
    tl_check(!loads("dtype.st"), "safetensors: unknown dtype refused");
    write_st("align.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[2,18]}}", data, 24, -1);
    tl_check(!loads("align.st"), "safetensors: misaligned tensor data refused");
    write_st("neg.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", data, 24, -1);
    tl_check(!loads("neg.st"), "safetensors: negative dimension refused");
    write_st("big.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", data, 24, -1);
    tl_check(!loads("big.st"), "safetensors: shape whose size overflows refused");
    tl_check(!loads("missing.st"), "safetensors: missing file refused");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    tl_check(system(cmd) == 0, "temporary files removed");
}

int main(void) {
    test_rng();
    test_kinks();
    test_init();
    test_shapes();
    test_layout();
    test_grad_plan();
    test_reproducible();
    test_invariants();
    test_safetensors();
    return tl_summary();
}
