build-nocuda/sr/upscale.o: src/sr/upscale.c src/sr/upscale.h \
 src/backend/backend.h src/nn/srnet.h src/nn/net.h src/util/rng.h \
 src/image/imageio.h src/util/util.h
src/sr/upscale.h:
src/backend/backend.h:
src/nn/srnet.h:
src/nn/net.h:
src/util/rng.h:
src/image/imageio.h:
src/util/util.h:
