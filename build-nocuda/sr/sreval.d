build-nocuda/sr/sreval.o: src/sr/sreval.c src/sr/sreval.h \
 src/data/dataset.h src/image/imageio.h src/sr/upscale.h \
 src/backend/backend.h src/nn/srnet.h src/nn/net.h src/util/rng.h \
 src/util/util.h
src/sr/sreval.h:
src/data/dataset.h:
src/image/imageio.h:
src/sr/upscale.h:
src/backend/backend.h:
src/nn/srnet.h:
src/nn/net.h:
src/util/rng.h:
src/util/util.h:
