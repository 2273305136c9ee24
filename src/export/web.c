// web.c: the browser sampler (written below, after the ONNX part works).
#include "export/export.h"

#include "util/util.h"

int export_web(const char *model, const char *sr_model, const char *dir) {
    (void)model, (void)sr_model;
    fk_error("%s: the browser sampler is not built yet", dir);
    return 2;
}
