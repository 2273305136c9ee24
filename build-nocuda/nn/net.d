build-nocuda/nn/net.o: src/nn/net.c src/nn/net.h src/backend/backend.h \
 src/ops/ops.h src/util/util.h
src/nn/net.h:
src/backend/backend.h:
src/ops/ops.h:
src/util/util.h:
