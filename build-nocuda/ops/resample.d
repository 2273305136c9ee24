build-nocuda/ops/resample.o: src/ops/resample.c src/ops/ops.h \
 src/util/util.h
src/ops/ops.h:
src/util/util.h:
