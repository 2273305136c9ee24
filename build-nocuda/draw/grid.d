build-nocuda/draw/grid.o: src/draw/grid.c src/draw/grid.h \
 src/image/imageio.h src/util/util.h
src/draw/grid.h:
src/image/imageio.h:
src/util/util.h:
