build-nocuda/data/bikes.o: src/data/bikes.c src/data/bikes.h \
 /usr/include/cairo/cairo.h /usr/include/cairo/cairo-version.h \
 /usr/include/cairo/cairo-features.h \
 /usr/include/cairo/cairo-deprecated.h src/util/rng.h src/util/util.h
src/data/bikes.h:
/usr/include/cairo/cairo.h:
/usr/include/cairo/cairo-version.h:
/usr/include/cairo/cairo-features.h:
/usr/include/cairo/cairo-deprecated.h:
src/util/rng.h:
src/util/util.h:
