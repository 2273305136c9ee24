build-nocuda/train/metrics.o: src/train/metrics.c src/train/metrics.h \
 src/util/util.h
src/train/metrics.h:
src/util/util.h:
