build-nocuda/ops/loss.o: src/ops/loss.c src/ops/ops.h
src/ops/ops.h:
