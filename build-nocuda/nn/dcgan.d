build-nocuda/nn/dcgan.o: src/nn/dcgan.c src/nn/dcgan.h src/nn/net.h \
 src/backend/backend.h src/util/rng.h src/util/util.h
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/util/util.h:
