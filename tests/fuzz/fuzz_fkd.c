// fuzz_fkd.c: the .fkd data-set reader (ds_open) on arbitrary bytes: either
// refused with a message or every image and path it hands out is in bounds.
#include "data/dataset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    Dataset ds;
    if (ds_open(&ds, fuzz_file(data, n, "in.fkd")) != 0) return 0;
    unsigned sum = (unsigned)ds_hash(&ds);
    for (uint32_t i = 0; i < ds.count; i++) sum += ds.pixels[(size_t)i * ds_image_bytes(&ds)] + (unsigned)strlen(ds.paths[i]);
    ds_close(&ds);
    return sum == 0xdeadbeef;  // keeps the reads from being optimised away
}
