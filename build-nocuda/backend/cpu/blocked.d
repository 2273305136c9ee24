build-nocuda/backend/cpu/blocked.o: src/backend/cpu/blocked.c \
 src/backend/cpu/cpu.h src/backend/backend.h src/ops/ops.h \
 src/util/util.h
src/backend/cpu/cpu.h:
src/backend/backend.h:
src/ops/ops.h:
src/util/util.h:
