// runstate.h: the WGAN's files.
//
// Model files (nn/checkpoint.h) carry the run's configuration in their
// metadata ("format": "fakeit 1", every WganConfig field as a string), so
// `fakeit sample` needs nothing but the file.
//
// A run folder holds netG.safetensors and netD.safetensors (the models) and
// state.safetensors: everything an exact resume needs in ONE file (both
// networks' parameters and buffers, optimiser moments and step counts, the
// random generator, the data order and position, counters, the fixed noise of
// the sample grids). Every file is written atomically, and state.safetensors
// last, so a crash mid-save resumes from the previous state.
#ifndef FAKEIT_RUNSTATE_H
#define FAKEIT_RUNSTATE_H

#include "gan/wgan.h"

// The configuration as a JSON object of strings (malloc'd), and back.
char *wgan_config_json(const WganConfig *c, const char *role);
int wgan_config_parse(const char *metadata, WganConfig *c, const char *path);
// The configuration stored in a model or state file; -1 after printing.
int wgan_config_read(const char *path, WganConfig *c);

// Saves the run (models and state) into dir; fixed (n_fixed, nz) is the grid
// noise; extra (a JSON object of strings, or NULL) is stored in the state's
// metadata for the caller (data path, targets).
int runstate_save(const char *dir, const Wgan *w, const float *fixed, int n_fixed, const char *extra);
// The state file's metadata as JSON text (malloc'd), or NULL after printing.
char *runstate_metadata(const char *dir);
// Restores a run from dir/state.safetensors into w, which must be initialised
// with the stored configuration and the same data set; fills fixed.
int runstate_load(const char *dir, Wgan *w, float *fixed, int n_fixed);

#endif
