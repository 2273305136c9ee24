// safetensors.c: a validating safetensors reader.
#include "nn/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/util.h"

static const struct {
    const char *name;
    StDtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8}, {"I32", ST_I32, 4}, {"U8", ST_U8, 1},     {"BOOL", ST_BOOL, 1},
};

const char *st_dtype_name(StDtype d) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == d) return dtypes[i].name;
    return "?";
}

size_t st_dtype_size(StDtype d) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == d) return dtypes[i].size;
    return 0;
}

size_t st_numel(const StTensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

void st_free(StFile *f) {
    for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->buf);
    free(f->metadata);
    memset(f, 0, sizeof *f);
}

const StTensor *st_find(const StFile *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

static int cmp_offset(const void *a, const void *b) {
    const StTensor *x = a, *y = b;
    return x->data < y->data ? -1 : x->data > y->data ? 1 : 0;
}

// Reads one tensor entry; returns an error string or NULL.
static const char *parse_entry(StTensor *t, const cJSON *e, const unsigned char *data, size_t data_size) {
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs))
        return "needs a string dtype, a shape array and a data_offsets array";
    size_t esize = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dt->valuestring, dtypes[i].name) == 0) t->dtype = dtypes[i].dtype, esize = dtypes[i].size;
    if (!esize) return "has an unknown dtype";
    int nd = cJSON_GetArraySize(shape);
    if (nd > ST_MAX_DIMS) return "has too many dimensions";
    t->ndim = nd;
    size_t numel = 1;
    for (int i = 0; i < nd; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 9.0e15 ||
            d->valuedouble != (double)(int64_t)d->valuedouble)
            return "has a shape entry that is not a non-negative integer";
        t->shape[i] = (int64_t)d->valuedouble;
        if (t->shape[i] && numel > SIZE_MAX / (size_t)t->shape[i]) return "has a shape too large";
        numel *= (size_t)t->shape[i];
    }
    if (numel > SIZE_MAX / esize) return "has a shape too large";
    if (cJSON_GetArraySize(offs) != 2) return "needs data_offsets [begin, end]";
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) ||
        b < 0 || en < b || en > (double)data_size || b != (double)(size_t)b || en != (double)(size_t)en)
        return "has data_offsets outside the file's data section";
    if ((size_t)b % esize != 0) return "has data_offsets not aligned to its element size";
    t->nbytes = (size_t)en - (size_t)b;
    if (t->nbytes != numel * esize) return "has data_offsets whose size does not match its shape and dtype";
    t->data = data + (size_t)b;
    return NULL;
}

int st_load(StFile *f, const char *path) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fk_error("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    const char *err = NULL;
    cJSON *root = NULL;
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) err = "is not a regular file";
    const off_t size = err ? -1 : st.st_size;
    if (!err && size < 8) err = "is too short to be a safetensors file (under 8 bytes)";
    uint64_t hlen = 0;
    unsigned char prefix[8];
    if (!err && fread(prefix, 1, 8, fp) != 8) err = "could not be read";
    if (!err) {
        // check the declared header length before reading anything else
        for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | prefix[i];
        if (hlen > ST_MAX_HEADER) err = "declares a header over the 16 MiB limit (not a fakeit safetensors file?)";
        else if (hlen > (uint64_t)size - 8) err = "declares a header longer than the file (truncated?)";
    }
    if (!err) {
        // place the file so that its data section starts 8-byte aligned
        // (malloc's alignment is at least 16): a tensor is then aligned when
        // its offset is a multiple of its element size, which is checked
        const size_t shift = (8 - (8 + hlen) % 8) % 8;
        f->size = (size_t)size;
        f->buf = fk_malloc(f->size + shift);
        f->file = f->buf + shift;
        memcpy(f->file, prefix, 8);
        if (fread(f->file + 8, 1, f->size - 8, fp) != f->size - 8) err = "could not be read completely";
    }
    fclose(fp);
    if (!err) {
        root = cJSON_ParseWithLength((const char *)f->file + 8, (size_t)hlen);
        if (!cJSON_IsObject(root)) err = "has a header that is not a JSON object";
    }
    if (!err) {
        const unsigned char *data = f->file + 8 + hlen;
        const size_t data_size = f->size - 8 - (size_t)hlen;
        f->tensors = fk_calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(StTensor));
        const cJSON *e;
        cJSON_ArrayForEach(e, root) {
            if (strcmp(e->string, "__metadata__") == 0) {
                if (!cJSON_IsObject(e)) {
                    err = "has a __metadata__ that is not an object";
                    break;
                }
                free(f->metadata);
                f->metadata = cJSON_PrintUnformatted(e);
                continue;
            }
            StTensor *t = &f->tensors[f->n];
            const char *why = parse_entry(t, e, data, data_size);
            if (why) {
                fk_error("%s: tensor '%s' %s", path, e->string, why);
                err = "is not a valid safetensors file";
                break;
            }
            t->name = fk_malloc(strlen(e->string) + 1);
            strcpy(t->name, e->string);
            f->n++;
        }
    }
    if (!err && f->n > 1) {
        // spans must not overlap: sort a copy by start and compare neighbours
        StTensor *s = fk_malloc((size_t)f->n * sizeof(StTensor));
        memcpy(s, f->tensors, (size_t)f->n * sizeof(StTensor));
        qsort(s, (size_t)f->n, sizeof(StTensor), cmp_offset);
        for (int i = 1; i < f->n && !err; i++)
            if (s[i - 1].data + s[i - 1].nbytes > s[i].data) err = "has tensors whose data overlap";
        free(s);
        for (int i = 0; i < f->n && !err; i++)
            for (int j = i + 1; j < f->n && !err; j++)
                if (strcmp(f->tensors[i].name, f->tensors[j].name) == 0) err = "names a tensor twice";
    }
    cJSON_Delete(root);
    if (err) {
        fk_error("%s: %s", path, err);
        st_free(f);
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// writing

static size_t out_bytes(const StOut *t) {
    size_t n = st_dtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) n *= (size_t)t->shape[d];
    return n;
}

int st_save(const char *path, const StOut *t, int n, const char *metadata) {
    cJSON *root = cJSON_CreateObject();
    if (metadata) {
        cJSON *meta = cJSON_Parse(metadata);
        FK_CHECK(cJSON_IsObject(meta), "st_save: metadata is not a JSON object");
        cJSON_AddItemToObject(root, "__metadata__", meta);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
        cJSON_AddStringToObject(e, "dtype", st_dtype_name(t[i].dtype));
        for (int d = 0; d < t[i].ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
        cJSON_AddItemToObject(e, "shape", shape);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += out_bytes(&t[i]);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        cJSON_AddItemToObject(e, "data_offsets", offs);
        cJSON_AddItemToObject(root, t[i].name, e);
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hlen = strlen(json);
    const size_t padded = (hlen + 7) / 8 * 8;  // data starts 8-byte aligned
    char *tmp = fk_tmp_path(path);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (ok) {
        unsigned char len[8];
        for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)padded >> (8 * i));
        ok = fwrite(len, 1, 8, f) == 8 && fwrite(json, 1, hlen, f) == hlen;
        for (size_t i = hlen; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
        for (int i = 0; ok && i < n; i++) {
            const size_t b = out_bytes(&t[i]);
            ok = b == 0 || fwrite(t[i].data, 1, b, f) == b;
        }
        ok = fflush(f) == 0 && ok;
        ok = (fclose(f) == 0) && ok;
    }
    free(json);
    if (!ok) {
        fk_error("%s: cannot save: %s (disk full or not writable? the previous file, if any, is intact)", path,
                 strerror(errno));
        unlink(tmp);
    }
    const int rc = ok ? fk_commit(tmp, path) : -1;
    free(tmp);
    return rc;
}
