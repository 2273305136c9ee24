build-nocuda/nn/safetensors.o: src/nn/safetensors.c src/nn/safetensors.h \
 src/util/util.h
src/nn/safetensors.h:
src/util/util.h:
