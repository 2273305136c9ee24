build-nocuda/image/imageio.o: src/image/imageio.c src/image/imageio.h \
 src/ops/ops.h src/util/util.h
src/image/imageio.h:
src/ops/ops.h:
src/util/util.h:
