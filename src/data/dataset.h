// dataset.h: fakeit's packed data-set file (.fkd), written by `fakeit prepare`
// and memory-mapped by training.
//
// Layout, all integers little-endian:
//   0   magic "FAKEITDS" (8 bytes)
//   8   u32 version (1)
//   12  u32 count        number of images
//   16  u32 size         height = width in pixels
//   20  u32 channels     1 (grey) or 3 (RGB)
//   24  u64 pixel_offset where the pixels start (a multiple of 64)
//   32  u64 paths_bytes  length of the path table
//   40  path table: `count` NUL-terminated UTF-8 source paths, in image order
//       (an IDX image is "FILE#INDEX")
//   ... zero padding up to pixel_offset
//   pixel_offset: count * channels * size * size uint8 pixels, each image
//       planar (channel, row, column), 0 black .. 255 white
// The file ends exactly after the pixels.
#ifndef FAKEIT_DATASET_H
#define FAKEIT_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DS_MAGIC "FAKEITDS"
#define DS_VERSION 1
#define DS_HEADER_BYTES 40

typedef struct {
    uint32_t count, size, channels;
    const uint8_t *pixels;   // count * channels * size * size, mapped read-only
    const char **paths;      // count pointers into the mapping
    // private
    void *map;
    size_t map_bytes;
} Dataset;

// Maps and validates `path`; on failure prints "fakeit: <path>: <problem>"
// and returns -1.
int ds_open(Dataset *ds, const char *path);
void ds_close(Dataset *ds);
// 1 when `path` is meant as a data set: named *.fkd, or a file that starts
// with the data-set magic (ds_open then says what is wrong with a bad one).
int ds_is_dataset(const char *path);
static inline size_t ds_image_bytes(const Dataset *ds) {
    return (size_t)ds->channels * ds->size * ds->size;
}
// A 64-bit hash of the count, size, channels and every pixel: the data set's
// identity, which a run's state records so that a resume on other data is seen.
uint64_t ds_hash(const Dataset *ds);

// ---- writing: images are streamed to a temporary file, the path table is
// kept in memory, and ds_writer_finish() assembles the final file atomically
// (temporary file, fsync, rename): a crash leaves no half-written data set.
typedef struct {
    char *out_path, *tmp_path, *pix_path;
    FILE *pix;
    uint32_t count, size, channels;
    char *paths;
    size_t paths_len, paths_cap;
} DsWriter;

// Returns -1 after printing the problem (e.g. the output's folder is not writable).
int ds_writer_open(DsWriter *w, const char *out_path, uint32_t size, uint32_t channels);
int ds_writer_add(DsWriter *w, const uint8_t *pixels, const char *source);
// Writes the final file; returns -1 after printing the problem (disk full...).
int ds_writer_finish(DsWriter *w);
// Abandons the write and removes temporary files.
void ds_writer_abort(DsWriter *w);

#endif
