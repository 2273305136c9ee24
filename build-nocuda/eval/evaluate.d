build-nocuda/eval/evaluate.o: src/eval/evaluate.c src/eval/evaluate.h \
 src/backend/backend.h src/data/dataset.h src/draw/grid.h \
 src/eval/measure.h src/eval/swd.h src/gan/generator.h src/gan/wgan.h \
 src/nn/dcgan.h src/nn/net.h src/util/rng.h src/nn/optimizer.h \
 src/image/imageio.h src/util/util.h
src/eval/evaluate.h:
src/backend/backend.h:
src/data/dataset.h:
src/draw/grid.h:
src/eval/measure.h:
src/eval/swd.h:
src/gan/generator.h:
src/gan/wgan.h:
src/nn/dcgan.h:
src/nn/net.h:
src/util/rng.h:
src/nn/optimizer.h:
src/image/imageio.h:
src/util/util.h:
