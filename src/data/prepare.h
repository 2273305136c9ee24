// prepare.h: turning folders of scraped images (and IDX files) into one
// packed data set, keeping only pictures against a white background.
//
// The white-background rule: after the image is shrunk to fit size x size, a
// ring along its border (max(1, shorter side / 32) pixels wide) is examined.
// A pixel is white when each of R, G and B is at least `white_level`; the
// image is kept when at least `white_fraction` of the ring is white. The ring
// is taken before any padding, so padding never makes an image pass.
#ifndef FAKEIT_PREPARE_H
#define FAKEIT_PREPARE_H

#include "image/imageio.h"

typedef struct {
    const char *out;          // DATA.fkd
    int size;                 // 64
    FitMode fit;              // FIT_PAD
    int white_only;           // 1: white-background selection (default for images)
    int white_only_set;       // the user chose --background explicitly
    int channels;             // 3, 1, or 0 = auto (1 when every input is IDX, else 3)
    int white_level;          // 230
    double white_fraction;    // 0.9
    double max_pixels;        // 100e6: larger headers are refused before decoding
    int min_side;             // 16
    int idx_invert;           // IDX: 255 - v (dark objects on white)
    int idx_pad;              // IDX: pad to this size (0 = no padding), e.g. 32
    int threads;              // 0 = all cores
    int verbose;              // print every skipped file
    int quiet;                // print nothing but errors (the library's fk_set_quiet)
    int sheet_max;            // tiles per contact sheet (256)
} PrepareOpts;

void prepare_defaults(PrepareOpts *o);

// What happened to every input, for the summary and the tests.
typedef enum { PR_KEPT, PR_NOT_WHITE, PR_UNREADABLE, PR_TOO_LARGE, PR_TOO_SMALL, PR_DUPLICATE, PR_NREASONS } PrepReason;

typedef struct {
    int seen;                  // candidate images (files and IDX records)
    int counts[PR_NREASONS];   // by outcome
    int ignored;               // files in folders without an image extension
    // per candidate, in the order processed (sorted paths, IDX records in file order)
    char **paths;
    PrepReason *outcome;
} PrepareResult;

extern const char *const prep_reason_names[PR_NREASONS];

// Runs the whole job. Returns 0 on success, 2 for a usage problem (missing
// input, unwritable output), 1 when nothing could be kept or writing failed;
// messages name the file and what to do.
int prepare_run(const PrepareOpts *o, char *const *inputs, int n_inputs, PrepareResult *res);
void prepare_result_free(PrepareResult *res);

// An IDX file of images (MNIST-style, gzipped or not): n x rows x cols
// unsigned bytes. Reads it whole into idx->data (malloc'd); -1 after printing
// what is wrong with it (not IDX, not images, implausible sizes, truncated).
typedef struct {
    uint8_t *data;
    int n, rows, cols;
} Idx;
int idx_load(const char *path, Idx *idx);

#endif
