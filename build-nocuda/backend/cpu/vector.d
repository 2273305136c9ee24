build-nocuda/backend/cpu/vector.o: src/backend/cpu/vector.c \
 src/backend/cpu/cpu.h src/backend/backend.h
src/backend/cpu/cpu.h:
src/backend/backend.h:
