build-nocuda/eval/measure.o: src/eval/measure.c src/eval/measure.h \
 src/eval/swd.h src/util/rng.h src/util/util.h
src/eval/measure.h:
src/eval/swd.h:
src/util/rng.h:
src/util/util.h:
