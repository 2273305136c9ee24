// export.h: fakeit's models for other runtimes: `fakeit export`.
//
// A model file is a generator or critic (netG / netD.safetensors, or a run
// folder) or a super-resolution model (sr-train's); export_onnx writes it as
// ONNX (export/onnx.h) with its metadata, export_web a static page that
// draws fakes in a browser with ONNX Runtime Web.
#ifndef FAKEIT_EXPORT_H
#define FAKEIT_EXPORT_H

typedef enum { EXPORT_GENERATOR, EXPORT_CRITIC, EXPORT_SR } ExportKind;

// Writes the model as ONNX to `out`: for a GAN model file or run folder the
// generator (kind EXPORT_GENERATOR) or its critic (EXPORT_CRITIC: of a run
// folder, or the critic file named, or netD.safetensors beside a generator
// file); an SR model file is exported whatever kind says. 0, or 1 / 2 after
// printing (2: not a model fakeit knows).
int export_onnx(const char *model, ExportKind kind, const char *out);

// The browser sampler in `dir`: index.html, generator.onnx, model.json,
// ONNX Runtime Web's files (copied from the build, fk_data_file("web")), and
// with `sr_model` (a model file, or NULL) upscaler.onnx. 0, or 1 / 2 after printing.
int export_web(const char *model, const char *sr_model, const char *dir);

#endif
