build-nocuda/ops/activation.o: src/ops/activation.c src/ops/ops.h
src/ops/ops.h:
