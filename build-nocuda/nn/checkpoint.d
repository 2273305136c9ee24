build-nocuda/nn/checkpoint.o: src/nn/checkpoint.c src/nn/checkpoint.h \
 src/nn/net.h src/backend/backend.h src/nn/safetensors.h src/util/util.h
src/nn/checkpoint.h:
src/nn/net.h:
src/backend/backend.h:
src/nn/safetensors.h:
src/util/util.h:
