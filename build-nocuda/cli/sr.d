build-nocuda/cli/sr.o: src/cli/sr.c src/cli/commands.h src/cli/opts.h \
 src/sr/sreval.h src/sr/upscale.h src/backend/backend.h src/nn/srnet.h \
 src/nn/net.h src/util/rng.h src/train/srtrain.h
src/cli/commands.h:
src/cli/opts.h:
src/sr/sreval.h:
src/sr/upscale.h:
src/backend/backend.h:
src/nn/srnet.h:
src/nn/net.h:
src/util/rng.h:
src/train/srtrain.h:
