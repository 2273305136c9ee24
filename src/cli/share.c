// share.c: what shows a run or a model to others: `fakeit report` (the run
// in a browser) and `fakeit export` (ONNX models, the browser sampler).
#include <stdio.h>

#include "cli/commands.h"
#include "export/export.h"
#include "train/report.h"

static int exec_report(const Command *cmd, void *opts, const OptParse *p) {
    (void)cmd, (void)opts;
    return report_run(p->pos[0]);
}

const Command cmd_report = {
    .docs = "docs/report-and-export.md", .name = "report", .group = "training", .synopsis = "RUN_DIR",
    .summary = "(re)write the run's report.html, to watch it in a browser",
    .usage = "fakeit report RUN_DIR",
    .about = "Writes RUN_DIR/report.html: the run's configuration and data set, charts of the\n"
             "Wasserstein estimate (raw and median-filtered), Loss_G, the gradient penalty\n"
             "and the SWD against its real-vs-real floor (hover for values), the sample\n"
             "grids over time with a slider, images/s and the time left, and the verdicts\n"
             "of fakeit eval when RUN_DIR/eval.json is there. One file, no network: open\n"
             "it as file://.../report.html. fakeit train writes it at every sample point\n"
             "and at the end; while a run trains the page reloads itself.\n",
    .min_pos = 1, .max_pos = 1, .pos = "RUN_DIR", .exec = exec_report,
};

typedef struct {
    const char *out, *critic, *web, *upscale;
} ExportOpts;

#define E ExportOpts
static const OptSpec export_opts[] = {
    OPT("output", 'o', OPT_STR, AT(E, out), 0, 0, "FILE.onnx",
        "write the generator (or the upscaler, for a super-resolution model) as ONNX"),
    OPT("critic", 0, OPT_STR, AT(E, critic), 0, 0, "FILE.onnx",
        "also write the run's critic (RUN/netD.safetensors, or netD.safetensors beside a generator file)"),
    OPT("web", 0, OPT_STR, AT(E, web), 0, 0, "DIR",
        "write the browser sampler into DIR (serve it, e.g. python3 -m http.server -d DIR)"),
    OPT("upscale", 0, OPT_STR, AT(E, upscale), 0, 0, "SR_MODEL",
        "with --web: let the page upscale a chosen fake with this super-resolution model "
        "(models/bikes-x4.safetensors ships)"),
};
#undef E

static int exec_export(const Command *cmd, void *opts, const OptParse *p) {
    ExportOpts *o = opts;
    const char *model = p->pos[0];
    if (!o->out && !o->critic && !o->web)
        return opts_usage_error(cmd, "say what to write: -o FILE.onnx, --critic FILE.onnx and/or --web DIR", NULL);
    if (o->upscale && !o->web) return opts_usage_error(cmd, "--upscale is for the browser sampler (--web DIR)", NULL);
    int rc = 0;
    if (o->out) rc = export_onnx(model, EXPORT_GENERATOR, o->out);
    if (!rc && o->critic) rc = export_onnx(model, EXPORT_CRITIC, o->critic);
    if (!rc && o->web) rc = export_web(model, o->upscale, o->web);
    return rc;
}

const Command cmd_export = {
    .docs = "docs/report-and-export.md", .name = "export", .group = "other", .synopsis = "MODEL -o FILE.onnx",
    .summary = "write a model as ONNX, or a browser page that samples it",
    .usage = "fakeit export MODEL -o FILE.onnx [--critic FILE.onnx]\n"
             "fakeit export MODEL --web DIR [--upscale SR_MODEL]",
    .about = "Writes a generator (a run folder or netG.safetensors), its critic, or a\n"
             "super-resolution model as an ONNX graph (opset 13), with the model's\n"
             "configuration and the run's iteration in its metadata_props.\n"
             "\n"
             "Batch norm is exported as fakeit runs it when sampling: in training mode,\n"
             "normalising with the statistics of the batch given. An image therefore\n"
             "depends on the others in its batch; feed batches of the training batch\n"
             "size (metadata_props fakeit.batch) of standard-normal noise to get the\n"
             "images fakeit sample draws (its --tensors option writes that noise).\n"
             "An upscaler takes RGB in [0, 1] of any size.\n"
             "\n"
             "--web DIR writes a static page that draws fakes in the browser with ONNX\n"
             "Runtime Web (its files are copied from the build: make web).\n",
    .opts = export_opts, .n_opts = sizeof export_opts / sizeof *export_opts, .size = sizeof(ExportOpts),
    .min_pos = 1, .max_pos = 1, .pos = "MODEL (a run folder, a generator or critic file, or an SR model)",
    .exec = exec_export,
};
