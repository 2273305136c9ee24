// imageio.h: decoding images of any common format into small sRGB thumbnails
// (libvips), and writing 8-bit images as PNG.
#ifndef FAKEIT_IMAGEIO_H
#define FAKEIT_IMAGEIO_H

#include <stddef.h>
#include <stdint.h>

typedef enum { FIT_PAD, FIT_CROP } FitMode;

typedef enum {
    IMG_OK,
    IMG_UNREADABLE,  // missing, not a regular file, empty, not an image, corrupt or truncated
    IMG_TOO_LARGE,   // header declares more pixels than the limit: never decoded
    IMG_TOO_SMALL,   // shorter side under the minimum
} ImgStatus;

typedef struct {
    int w, h;      // at most size x size (pad) or exactly size x size (crop)
    uint8_t *rgb;  // (h, w, 3) interleaved 8-bit sRGB, alpha composited onto white
} Thumb;

// Starts libvips (once per process) for use from many threads: each thread
// decodes its own files, libvips itself runs single-threaded per image.
void img_init(void);

// Decodes `path` (JPEG, PNG, WebP, GIF first frame, TIFF, BMP, ...): checks
// the header first (over max_pixels: IMG_TOO_LARGE without decoding; shorter
// side under min_side: IMG_TOO_SMALL), JPEGs shrunk on load (by up to 8,
// leaving at least 2 to the filter), converts CMYK, 16-bit, palette and grey
// to 8-bit sRGB, composites transparency onto white, then shrinks with an
// antialiasing filter (Lanczos 3, in float, rounded once: no bias) and
// applies the EXIF orientation. With FIT_PAD the whole picture fits in
// size x size; with FIT_CROP it fills it and the centre is kept. On failure
// `why` says what was wrong.
// The check before decoding: a readable, non-empty regular file whose header
// (libvips', or fakeit's own sniffing of PNG/JPEG/GIF/BMP/WebP headers where
// libvips refuses one) declares at most max_pixels and at least min_side on
// each side; *w, *h the declared size. On failure `why` says what was wrong.
ImgStatus img_check_file(const char *path, double max_pixels, int min_side, char *why, size_t why_len, int *w, int *h);

ImgStatus img_thumbnail(const char *path, int size, FitMode fit, double max_pixels, int min_side,
                        Thumb *out, char *why, size_t why_len);
void thumb_free(Thumb *t);

// 1 when a file name has an image extension fakeit reads from folders
// (.jpg .jpeg .jpe .png .webp .gif .tif .tiff .bmp, any case).
int img_is_image_name(const char *name);

// An image at full resolution: 8-bit sRGB (h, w, 3) interleaved, and its
// alpha (h, w) when the file has one (else NULL).
typedef struct {
    int w, h;
    uint8_t *rgb, *alpha;
} Image;

// Decodes `path` at full size with the same checks and colour handling as
// img_thumbnail, alpha kept apart instead of composited.
ImgStatus img_load_rgba(const char *path, double max_pixels, Image *out, char *why, size_t why_len);
void image_free(Image *im);

// Planar (C, npix) bytes (a data set's or a fake's layout; C = 3 or 1) to
// interleaved RGB (npix, 3); grey is replicated to the three channels.
void img_planar_to_rgb(const uint8_t *planar, int C, size_t npix, uint8_t *rgb);

// Writes an 8-bit (h, w, bands) interleaved image (bands 1, 3 or 4) as PNG;
// returns -1 after printing the problem.
int img_write_png(const char *path, const uint8_t *pix, int w, int h, int bands);

// Resizes an 8-bit (h, w, bands) interleaved image to (oh, ow) with the same
// antialiasing filter as thumbnails (Lanczos 3, in float, rounded once), so
// a PNG's thumbnail and its pixels resized here are the same bytes. Returns 0
// on success.
int img_resize(const uint8_t *pix, int w, int h, int bands, uint8_t *out, int ow, int oh);
// Enlarges (ow >= w, oh >= h; -1 otherwise) by bicubic interpolation, the
// baseline super-resolution is measured against, as MATLAB's imresize and
// BasicSR's figures use it: Keys' cubic with a = -0.5, separable, pixel
// centres aligned (output o samples input (o + 0.5) w / ow - 0.5), edge
// pixels replicated, rounded once at the end. (libvips' own bicubic resize is
// not used: its upsampling is shifted by half an output pixel.)
int img_resize_bicubic(const uint8_t *pix, int w, int h, int bands, uint8_t *out, int ow, int oh);

#endif
