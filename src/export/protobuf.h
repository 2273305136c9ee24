// protobuf.h: writing Protocol Buffers' wire format, enough for ONNX files.
//
// fakeit writes its few ONNX messages itself rather than through a protobuf
// library: the encoding is four wire types (varint, 64-bit, length-delimited,
// 32-bit), the messages are known at compile time, and no generated code or
// run-time dependency is needed. A message is built into a Pb buffer; a
// nested message is built in its own buffer and appended with its length.
#ifndef FAKEIT_PROTOBUF_H
#define FAKEIT_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
} Pb;

void pb_free(Pb *b);
// Field `field` of each kind (proto3 scalars are written even when zero).
void pb_int(Pb *b, int field, int64_t v);          // int32 / int64 / enum: varint
void pb_float(Pb *b, int field, float v);          // float: 32-bit
void pb_bytes(Pb *b, int field, const void *p, size_t n);  // bytes / string
void pb_str(Pb *b, int field, const char *s);
// A nested message: appends sub (length-delimited) and frees it.
void pb_msg(Pb *b, int field, Pb *sub);
// Appends the encoded fields of `raw` as they are and frees it.
void pb_append(Pb *b, Pb *raw);
// A packed repeated int64 field.
void pb_ints(Pb *b, int field, const int64_t *v, int n);

#endif
