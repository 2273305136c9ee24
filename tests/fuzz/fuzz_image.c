// fuzz_image.c: the check every image file passes before it is decoded
// (img_check_file: file type, header size limits, fakeit's own header
// sniffing where libvips refuses a header) on arbitrary bytes.
#include "fuzz.h"
#include "image/imageio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char why[256];
    int w = 0, h = 0;
    const ImgStatus st = img_check_file(fuzz_file(data, n, "in"), 1e7, 8, why, sizeof why, &w, &h);
    FK_CHECK(st != IMG_OK || ((double)w * h <= 1e7 && w >= 8 && h >= 8), "a passed check broke its limits: %dx%d", w, h);
    FK_CHECK(memchr(why, 0, sizeof why) != NULL, "unterminated reason");
    return 0;
}
