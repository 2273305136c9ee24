build-nocuda/eval/swd.o: src/eval/swd.c src/eval/swd.h src/util/rng.h \
 src/util/util.h
src/eval/swd.h:
src/util/rng.h:
src/util/util.h:
