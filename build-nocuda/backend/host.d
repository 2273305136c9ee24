build-nocuda/backend/host.o: src/backend/host.c src/backend/backend.h \
 src/util/util.h
src/backend/backend.h:
src/util/util.h:
