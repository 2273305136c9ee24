build-nocuda/gan/sample.o: src/gan/sample.c src/gan/sample.h \
 src/draw/grid.h src/gan/generator.h src/backend/backend.h src/gan/wgan.h \
 src/data/dataset.h src/nn/dcgan.h src/nn/net.h src/util/rng.h \
 src/nn/optimizer.h src/image/imageio.h src/sr/upscale.h src/nn/srnet.h \
 src/util/util.h
src/gan/sample.h:
src/draw/grid.h:
src/gan/generator.h:
src/backend/backend.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/util/rng.h:
src/nn/optimizer.h:
src/image/imageio.h:
src/sr/upscale.h:
src/nn/srnet.h:
src/util/util.h:
