// checkpoint.h: one network in one safetensors file.
//
// A model file holds every parameter and buffer of a network under its
// PyTorch state_dict key (so `model.load_state_dict(safetensors.torch.load_file(f))`
// works on the reference DCGAN_G / DCGAN_D), "<bn>.num_batches_tracked" as
// I64 for every batch norm, and the caller's metadata (a model's
// configuration: gan/runstate.h, nn/srnet.h), so a model file is all a
// command needs. Files are written atomically (st_save).
#ifndef FAKEIT_CHECKPOINT_H
#define FAKEIT_CHECKPOINT_H

#include <stddef.h>

#include "nn/net.h"
#include "nn/safetensors.h"

int ckpt_save_net(const char *path, const Net *net, const char *metadata);
// Loads every tensor of `net` (same names, shapes, F32; num_batches_tracked
// optional) from a model file; a missing, extra or misshapen tensor is an
// error naming it. Returns -1 after printing.
int ckpt_load_net(const char *path, Net *net);

// Copies F32 tensor `name` of f into dst (n floats), checking its shape
// against dims (ndim of them) unless dims is NULL. Returns NULL, or what is
// wrong with the tensor ("is missing", "has the wrong shape ...").
const char *ckpt_take_f32(const StFile *f, const char *name, int ndim, const int *dims, size_t n, float *dst);

#endif
