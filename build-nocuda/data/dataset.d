build-nocuda/data/dataset.o: src/data/dataset.c src/data/dataset.h \
 src/util/util.h
src/data/dataset.h:
src/util/util.h:
