build-nocuda/cli/main.o: src/cli/main.c src/backend/backend.h \
 src/cli/commands.h src/cli/opts.h src/nn/safetensors.h
src/backend/backend.h:
src/cli/commands.h:
src/cli/opts.h:
src/nn/safetensors.h:
