// dataset.c: reading (mmap) and writing (atomic) packed data-set files.
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/util.h"

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

void ds_close(Dataset *ds) {
    if (ds->map) munmap(ds->map, ds->map_bytes);
    free(ds->paths);
    memset(ds, 0, sizeof *ds);
}

int ds_is_dataset(const char *path) {
    const size_t n = strlen(path);
    if (n > 4 && !strcasecmp(path + n - 4, ".fkd")) return 1;
    FILE *f = fopen(path, "rb");
    char magic[8] = {0};
    const int ok = f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, DS_MAGIC, 8);
    if (f) fclose(f);
    return ok;
}

int ds_open(Dataset *ds, const char *path) {
    memset(ds, 0, sizeof *ds);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fk_error("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    const char *err = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) err = "is not a regular file";
    else if (st.st_size < DS_HEADER_BYTES) err = "is too short to be a fakeit data set";
    if (!err) {
        ds->map_bytes = (size_t)st.st_size;
        ds->map = mmap(NULL, ds->map_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
        if (ds->map == MAP_FAILED) ds->map = NULL, err = "cannot be mapped into memory";
    }
    close(fd);
    const uint8_t *h = ds->map;
    uint64_t pix_off = 0, paths_bytes = 0;
    if (!err && memcmp(h, DS_MAGIC, 8) != 0) err = "is not a fakeit data set (bad magic; make one with fakeit prepare)";
    if (!err && get_u32(h + 8) != DS_VERSION) err = "has an unsupported data-set version";
    if (!err) {
        ds->count = get_u32(h + 12), ds->size = get_u32(h + 16), ds->channels = get_u32(h + 20);
        pix_off = get_u64(h + 24), paths_bytes = get_u64(h + 32);
        if ((ds->channels != 1 && ds->channels != 3) || ds->size == 0 || ds->size > 65536)
            err = "has an invalid image size or channel count";
        else if (paths_bytes > ds->map_bytes || pix_off > ds->map_bytes || DS_HEADER_BYTES + paths_bytes > pix_off)
            err = "has a corrupt header (offsets beyond the file)";
        else if ((ds->map_bytes - pix_off) / ds_image_bytes(ds) != ds->count ||
                 (ds->map_bytes - pix_off) % ds_image_bytes(ds) != 0)
            err = "has a size that does not match its image count (truncated?)";
    }
    if (!err) {
        // the path table: exactly `count` NUL-terminated strings
        ds->paths = fk_calloc(ds->count ? ds->count : 1, sizeof(char *));
        const char *p = (const char *)h + DS_HEADER_BYTES, *end = p + paths_bytes;
        for (uint32_t i = 0; i < ds->count && !err; i++) {
            const char *nul = memchr(p, '\0', (size_t)(end - p));
            if (!nul) err = "has a corrupt path table";
            else ds->paths[i] = p, p = nul + 1;
        }
        if (!err && p != end) err = "has a corrupt path table";
    }
    if (err) {
        fk_error("%s: %s", path, err);
        ds_close(ds);
        return -1;
    }
    ds->pixels = h + pix_off;
    return 0;
}

// ---------------------------------------------------------------------------
// writing

static char *concat(const char *a, const char *b) {
    char *s = fk_malloc(strlen(a) + strlen(b) + 1);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

int ds_writer_open(DsWriter *w, const char *out_path, uint32_t size, uint32_t channels) {
    memset(w, 0, sizeof *w);
    w->out_path = concat(out_path, "");
    w->tmp_path = concat(out_path, ".tmp");
    w->pix_path = concat(out_path, ".pixels.tmp");
    w->size = size, w->channels = channels;
    w->pix = fopen(w->pix_path, "wb");
    if (!w->pix) {
        fk_error("%s: cannot write here: %s (choose a writable output with -o)", out_path, strerror(errno));
        ds_writer_abort(w);
        return -1;
    }
    return 0;
}

int ds_writer_add(DsWriter *w, const uint8_t *pixels, const char *source) {
    const size_t n = (size_t)w->channels * w->size * w->size, len = strlen(source) + 1;
    if (fwrite(pixels, 1, n, w->pix) != n) {
        fk_error("%s: write failed: %s (disk full?)", w->pix_path, strerror(errno));
        return -1;
    }
    if (w->paths_len + len > w->paths_cap) {
        w->paths_cap = 2 * (w->paths_len + len) + 4096;
        w->paths = realloc(w->paths, w->paths_cap);
        FK_CHECK(w->paths != NULL, "out of memory");
    }
    memcpy(w->paths + w->paths_len, source, len);
    w->paths_len += len;
    w->count++;
    return 0;
}

void ds_writer_abort(DsWriter *w) {
    if (w->pix) fclose(w->pix);
    if (w->pix_path) unlink(w->pix_path);
    if (w->tmp_path) unlink(w->tmp_path);
    free(w->out_path), free(w->tmp_path), free(w->pix_path), free(w->paths);
    memset(w, 0, sizeof *w);
}

int ds_writer_finish(DsWriter *w) {
    const char *err = NULL;
    int saved = 0;
    if (fflush(w->pix) != 0 || ferror(w->pix)) err = "write failed", saved = errno;
    fclose(w->pix);
    w->pix = NULL;
    FILE *in = err ? NULL : fopen(w->pix_path, "rb");
    FILE *out = in ? fopen(w->tmp_path, "wb") : NULL;
    if (!err && (!in || !out)) err = "cannot reopen temporary files", saved = errno;
    if (!err) {
        const uint64_t pix_off = (DS_HEADER_BYTES + w->paths_len + 63) / 64 * 64;
        uint8_t h[DS_HEADER_BYTES] = {0};
        memcpy(h, DS_MAGIC, 8);
        put_u32(h + 8, DS_VERSION);
        put_u32(h + 12, w->count);
        put_u32(h + 16, w->size);
        put_u32(h + 20, w->channels);
        put_u64(h + 24, pix_off);
        put_u64(h + 32, w->paths_len);
        static const uint8_t zeros[64];
        const size_t pad = (size_t)(pix_off - DS_HEADER_BYTES - w->paths_len);
        if (fwrite(h, 1, sizeof h, out) != sizeof h || fwrite(w->paths, 1, w->paths_len, out) != w->paths_len ||
            fwrite(zeros, 1, pad, out) != pad)
            err = "write failed", saved = errno;
        const size_t chunk = 1 << 20;
        uint8_t *buf = fk_malloc(chunk);
        size_t got;
        while (!err && (got = fread(buf, 1, chunk, in)) > 0)
            if (fwrite(buf, 1, got, out) != got) err = "write failed", saved = errno;
        free(buf);
        if (!err && ferror(in)) err = "read of the temporary pixel file failed", saved = errno;
        if (!err && fflush(out) != 0) err = "write failed", saved = errno;
    }
    if (in) fclose(in);
    if (out && fclose(out) != 0 && !err) err = "write failed", saved = errno;
    if (err) fk_error("%s: %s: %s (disk full or not writable? nothing was replaced)", w->out_path, err,
                      saved ? strerror(saved) : "unknown error");
    if (err || fk_commit(w->tmp_path, w->out_path) != 0) {  // fsync, rename into place, fsync the folder
        ds_writer_abort(w);
        return -1;
    }
    unlink(w->pix_path);
    free(w->out_path), free(w->tmp_path), free(w->pix_path), free(w->paths);
    memset(w, 0, sizeof *w);
    return 0;
}

uint64_t ds_hash(const Dataset *ds) {
    // 8 bytes at a time: xor, multiply by an odd constant, fold the high half back
    const uint64_t K = 0x9e3779b97f4a7c15ULL;
    uint64_t h = (((uint64_t)ds->count << 32) ^ ((uint64_t)ds->size << 8) ^ ds->channels) * K;
    const size_t n = (size_t)ds->count * ds_image_bytes(ds);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, ds->pixels + i, 8);
        h = (h ^ v) * K, h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ ds->pixels[i]) * K, h ^= h >> 29;
    return h;
}
