// fixture_ckpt.c: writes tests/fixtures/fakeit_netG.safetensors, the
// generator PyTorch loads in tests/oracle.py (make fixtures).
#include "interop.h"

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/fixtures/fakeit_netG.safetensors";
    net_free(interop_generator(&backend_ref, path));
    return 0;
}
