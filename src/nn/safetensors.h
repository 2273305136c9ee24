// safetensors.h: reading the safetensors format (8-byte little-endian header
// length, a JSON header, then raw little-endian tensor data), the format of
// fakeit's test fixtures and checkpoints.
//
// A file is validated completely on load, before any tensor is handed out:
// header length within the file and under ST_MAX_HEADER, every entry a known
// dtype with a shape whose byte size equals its data_offsets span, every span
// inside the data section and aligned to its element size (so data can be
// read as float *), no two spans overlapping. A bad file is reported
// naming the file and the problem; nothing is ever read out of bounds.
#ifndef FAKEIT_SAFETENSORS_H
#define FAKEIT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_HEADER (16u << 20)  // 16 MiB of JSON is far beyond any fakeit model
#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_U8, ST_BOOL } StDtype;

typedef struct {
    char *name;
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nbytes;
    const unsigned char *data;  // inside StFile.file, aligned for its dtype
} StTensor;

typedef struct {
    unsigned char *buf;   // allocation holding the file
    unsigned char *file;  // the whole file, inside buf
    size_t size;
    StTensor *tensors;
    int n;
    char *metadata;  // the "__metadata__" object as JSON text, or NULL
} StFile;

// Loads and validates `path`. On failure prints "fakeit: <path>: <problem>"
// and returns -1 with *f empty; returns 0 on success.
int st_load(StFile *f, const char *path);
void st_free(StFile *f);

const StTensor *st_find(const StFile *f, const char *name);

// One tensor to write: data is little-endian, nbytes = numel * dtype size.
typedef struct {
    const char *name;
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;
} StOut;

// Writes a safetensors file atomically: `path`.tmp, fsync, rename, fsync of
// the folder, so a crash leaves the previous file intact. metadata is a JSON
// object of strings (text) or NULL. Returns -1 after printing the problem.
int st_save(const char *path, const StOut *t, int n, const char *metadata);
size_t st_dtype_size(StDtype d);
size_t st_numel(const StTensor *t);
const char *st_dtype_name(StDtype d);

#endif
