build-nocuda/backend/cpu/plain.o: src/backend/cpu/plain.c \
 src/backend/cpu/cpu.h src/backend/backend.h src/ops/ops.h
src/backend/cpu/cpu.h:
src/backend/backend.h:
src/ops/ops.h:
