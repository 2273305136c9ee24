build-nocuda/cli/eval.o: src/cli/eval.c src/cli/commands.h src/cli/opts.h \
 src/eval/evaluate.h
src/cli/commands.h:
src/cli/opts.h:
src/eval/evaluate.h:
