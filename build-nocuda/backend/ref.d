build-nocuda/backend/ref.o: src/backend/ref.c src/backend/backend.h \
 src/ops/ops.h src/util/util.h
src/backend/backend.h:
src/ops/ops.h:
src/util/util.h:
