build-nocuda/backend/registry.o: src/backend/registry.c \
 src/backend/backend.h src/util/util.h
src/backend/backend.h:
src/util/util.h:
