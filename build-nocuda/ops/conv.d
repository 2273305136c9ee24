build-nocuda/ops/conv.o: src/ops/conv.c src/ops/ops.h
src/ops/ops.h:
