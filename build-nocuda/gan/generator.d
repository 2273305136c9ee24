build-nocuda/gan/generator.o: src/gan/generator.c src/gan/generator.h \
 src/backend/backend.h src/gan/wgan.h src/data/dataset.h src/nn/dcgan.h \
 src/nn/net.h src/util/rng.h src/nn/optimizer.h src/gan/runstate.h \
 src/nn/checkpoint.h src/nn/safetensors.h src/util/util.h
src/gan/generator.h:
src/backend/backend.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/util/rng.h:
src/nn/optimizer.h:
src/gan/runstate.h:
src/nn/checkpoint.h:
src/nn/safetensors.h:
src/util/util.h:
