build-nocuda/data/prepare.o: src/data/prepare.c src/data/prepare.h \
 src/image/imageio.h src/data/dataset.h src/draw/sheet.h src/util/util.h
src/data/prepare.h:
src/image/imageio.h:
src/data/dataset.h:
src/draw/sheet.h:
src/util/util.h:
