build-nocuda/cli/gan.o: src/cli/gan.c src/cli/commands.h src/cli/opts.h \
 src/gan/sample.h src/gan/wgan.h src/data/dataset.h src/nn/dcgan.h \
 src/nn/net.h src/backend/backend.h src/util/rng.h src/nn/optimizer.h \
 src/train/train.h
src/cli/commands.h:
src/cli/opts.h:
src/gan/sample.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/nn/optimizer.h:
src/train/train.h:
