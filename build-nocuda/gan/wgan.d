build-nocuda/gan/wgan.o: src/gan/wgan.c src/gan/wgan.h src/data/dataset.h \
 src/nn/dcgan.h src/nn/net.h src/backend/backend.h src/util/rng.h \
 src/nn/optimizer.h src/util/util.h
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/nn/optimizer.h:
src/util/util.h:
