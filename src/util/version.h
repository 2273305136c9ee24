// version.h: fakeit's version, defined once in the public header
// (include/fakeit.h: FAKEIT_VERSION, FAKEIT_VERSION_MAJOR ...), for
// `fakeit version`, what fakeit writes (ONNX producer, reports) and
// libfakeit.so's name.
#ifndef FAKEIT_VERSION_H
#define FAKEIT_VERSION_H

#include <fakeit.h>

#endif
