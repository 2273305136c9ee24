build-nocuda/eval/tracker.o: src/eval/tracker.c src/eval/tracker.h \
 src/eval/swd.h src/gan/wgan.h src/data/dataset.h src/nn/dcgan.h \
 src/nn/net.h src/backend/backend.h src/util/rng.h src/nn/optimizer.h \
 src/eval/measure.h src/gan/generator.h src/util/util.h
src/eval/tracker.h:
src/eval/swd.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/nn/optimizer.h:
src/eval/measure.h:
src/gan/generator.h:
src/util/util.h:
