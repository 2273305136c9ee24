build-nocuda/ops/optim.o: src/ops/optim.c src/ops/ops.h
src/ops/ops.h:
