// fuzz_idx.c: the IDX importer (idx_load: MNIST-style files, plain or
// gzipped) on arbitrary bytes.
#include "data/prepare.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    Idx idx;
    if (idx_load(fuzz_file(data, n, "in-idx3-ubyte"), &idx) != 0) return 0;
    unsigned sum = idx.data[(size_t)idx.n * idx.rows * idx.cols - 1];
    free(idx.data);
    return sum == 0x1ff;
}
