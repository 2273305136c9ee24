// fuzz.h: what the libFuzzer harnesses share. fakeit's parsers read files by
// path, so each input is written to a file in a folder of this process's own
// (under $TMPDIR), which the parser then opens as it would a user's file.
#ifndef FAKEIT_FUZZ_H
#define FAKEIT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

// The harness's folder, made on first use.
static inline const char *fuzz_dir(void) {
    static char dir[256];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/fakeit-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
        FK_CHECK(fk_mkdirs(dir) == 0, "cannot make %s", dir);
    }
    return dir;
}

// Writes the input to fuzz_dir()/name; returns the path (static storage).
static inline const char *fuzz_file(const uint8_t *data, size_t n, const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    FK_CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
    return path;
}

#endif
