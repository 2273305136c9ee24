build-nocuda/cli/opts.o: src/cli/opts.c src/cli/opts.h src/util/util.h
src/cli/opts.h:
src/util/util.h:
