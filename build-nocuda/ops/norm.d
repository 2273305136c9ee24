build-nocuda/ops/norm.o: src/ops/norm.c src/ops/ops.h src/util/util.h
src/ops/ops.h:
src/util/util.h:
