build-nocuda/backend/cpu/cpu.o: src/backend/cpu/cpu.c \
 src/backend/cpu/cpu.h src/backend/backend.h src/ops/ops.h \
 src/util/util.h
src/backend/cpu/cpu.h:
src/backend/backend.h:
src/ops/ops.h:
src/util/util.h:
