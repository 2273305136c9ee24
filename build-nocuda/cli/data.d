build-nocuda/cli/data.o: src/cli/data.c src/cli/commands.h src/cli/opts.h \
 src/data/bikes.h src/data/dataset.h src/data/prepare.h \
 src/image/imageio.h
src/cli/commands.h:
src/cli/opts.h:
src/data/bikes.h:
src/data/dataset.h:
src/data/prepare.h:
src/image/imageio.h:
