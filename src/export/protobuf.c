// protobuf.c: the wire format (https://protobuf.dev/programming-guides/encoding/).
#include "export/protobuf.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_I32 = 5 };

static void grow(Pb *b, size_t more) {
    if (b->n + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    FK_CHECK(p != NULL, "out of memory (%zu bytes)", cap);
    b->p = p, b->cap = cap;
}

static void put(Pb *b, const void *p, size_t n) {
    grow(b, n);
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void varint(Pb *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    put(b, t, (size_t)n);
}

static void key(Pb *b, int field, int wire) { varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

void pb_free(Pb *b) {
    free(b->p);
    b->p = NULL, b->n = b->cap = 0;
}

// negative int64s are ten-byte varints of their two's complement, as protobuf does
void pb_int(Pb *b, int field, int64_t v) {
    key(b, field, WIRE_VARINT);
    varint(b, (uint64_t)v);
}

void pb_float(Pb *b, int field, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    const uint8_t t[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    key(b, field, WIRE_I32);
    put(b, t, 4);
}

void pb_bytes(Pb *b, int field, const void *p, size_t n) {
    key(b, field, WIRE_LEN);
    varint(b, n);
    put(b, p, n);
}

void pb_str(Pb *b, int field, const char *s) { pb_bytes(b, field, s, strlen(s)); }

void pb_msg(Pb *b, int field, Pb *sub) {
    pb_bytes(b, field, sub->p, sub->n);
    pb_free(sub);
}

void pb_ints(Pb *b, int field, const int64_t *v, int n) {
    Pb t = {0};
    for (int i = 0; i < n; i++) varint(&t, (uint64_t)v[i]);
    pb_msg(b, field, &t);
}

void pb_append(Pb *b, Pb *raw) {
    put(b, raw->p, raw->n);
    pb_free(raw);
}
