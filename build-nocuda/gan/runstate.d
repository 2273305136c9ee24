build-nocuda/gan/runstate.o: src/gan/runstate.c src/gan/runstate.h \
 src/gan/wgan.h src/data/dataset.h src/nn/dcgan.h src/nn/net.h \
 src/backend/backend.h src/util/rng.h src/nn/optimizer.h \
 src/nn/checkpoint.h src/nn/safetensors.h src/util/util.h
src/gan/runstate.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/nn/optimizer.h:
src/nn/checkpoint.h:
src/nn/safetensors.h:
src/util/util.h:
