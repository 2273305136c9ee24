// version.h: fakeit's version, for `fakeit version`, the library
// (fk_version, libfakeit.so's name) and what fakeit writes (ONNX producer).
#ifndef FAKEIT_VERSION_H
#define FAKEIT_VERSION_H

#define FAKEIT_VERSION_MAJOR 0
#define FAKEIT_VERSION_MINOR 3
#define FAKEIT_VERSION_PATCH 0
#define FAKEIT_VERSION "0.3.0"

#endif
