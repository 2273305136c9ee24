// checkpoint.h: models and training state in safetensors files.
//
// A model file holds one network: every parameter and buffer under its
// PyTorch state_dict key (so `model.load_state_dict(safetensors.torch.load_file(f))`
// works on the reference DCGAN_G / DCGAN_D), "<bn>.num_batches_tracked" as
// I64 for every batch norm, and the run's configuration in __metadata__, so
// `fakeit sample` needs nothing but the file.
//
// A run folder holds netG.safetensors and netD.safetensors (the models) and
// state.safetensors: everything an exact resume needs in ONE file (both
// networks' parameters and buffers, optimiser moments and step counts, the
// random generator, the data order and position, counters, the fixed noise of
// the sample grids). Every file is written atomically (st_save), and
// state.safetensors last, so a crash mid-save resumes from the previous state.
#ifndef FAKEIT_CHECKPOINT_H
#define FAKEIT_CHECKPOINT_H

#include "nn/net.h"
#include "gan/wgan.h"

int ckpt_save_net(const char *path, const Net *net, const char *metadata);
// Loads every tensor of `net` (same names, shapes, F32; num_batches_tracked
// optional) from a model file; a missing, extra or misshapen tensor is an
// error naming it. Returns -1 after printing.
int ckpt_load_net(const char *path, Net *net);

// The configuration as a JSON object of strings (malloc'd), and back.
char *wgan_config_json(const WganConfig *c, const char *role);
int wgan_config_parse(const char *metadata, WganConfig *c, const char *path);
// The configuration stored in a model or state file; -1 after printing.
int ckpt_read_config(const char *path, WganConfig *c);

// Saves the run (models and state) into dir; fixed (n_fixed, nz) is the grid
// noise; extra (a JSON object of strings, or NULL) is stored in the state's
// metadata for the caller (data path, targets).
int ckpt_save_run(const char *dir, const Wgan *w, const float *fixed, int n_fixed, const char *extra);
// The state file's metadata as JSON text (malloc'd), or NULL after printing.
char *ckpt_run_metadata(const char *dir);
// Restores a run from dir/state.safetensors into w, which must be initialised
// with the stored configuration and the same data set; fills fixed.
int ckpt_load_run(const char *dir, Wgan *w, float *fixed, int n_fixed);

#endif
