build-nocuda/backend/cpu/dnnl.o: src/backend/cpu/dnnl.c \
 src/backend/cpu/cpu.h src/backend/backend.h src/ops/ops.h \
 src/util/util.h
src/backend/cpu/cpu.h:
src/backend/backend.h:
src/ops/ops.h:
src/util/util.h:
