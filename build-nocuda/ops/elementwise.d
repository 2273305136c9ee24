build-nocuda/ops/elementwise.o: src/ops/elementwise.c src/ops/ops.h
src/ops/ops.h:
