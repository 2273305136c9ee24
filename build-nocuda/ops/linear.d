build-nocuda/ops/linear.o: src/ops/linear.c src/ops/ops.h
src/ops/ops.h:
