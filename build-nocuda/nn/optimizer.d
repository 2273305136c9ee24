build-nocuda/nn/optimizer.o: src/nn/optimizer.c src/nn/optimizer.h \
 src/nn/net.h src/backend/backend.h src/util/util.h
src/nn/optimizer.h:
src/nn/net.h:
src/backend/backend.h:
src/util/util.h:
