build-nocuda/nn/srnet.o: src/nn/srnet.c src/nn/srnet.h \
 src/backend/backend.h src/nn/net.h src/util/rng.h src/nn/checkpoint.h \
 src/nn/safetensors.h src/util/util.h
src/nn/srnet.h:
src/backend/backend.h:
src/nn/net.h:
src/util/rng.h:
src/nn/checkpoint.h:
src/nn/safetensors.h:
src/util/util.h:
