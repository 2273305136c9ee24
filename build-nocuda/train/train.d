build-nocuda/train/train.o: src/train/train.c src/train/train.h \
 src/gan/wgan.h src/data/dataset.h src/nn/dcgan.h src/nn/net.h \
 src/backend/backend.h src/util/rng.h src/nn/optimizer.h \
 src/data/prepare.h src/image/imageio.h src/draw/chart.h src/draw/grid.h \
 src/eval/measure.h src/eval/swd.h src/eval/tracker.h src/gan/runstate.h \
 src/train/metrics.h src/util/util.h
src/train/train.h:
src/gan/wgan.h:
src/data/dataset.h:
src/nn/dcgan.h:
src/nn/net.h:
src/backend/backend.h:
src/util/rng.h:
src/nn/optimizer.h:
src/data/prepare.h:
src/image/imageio.h:
src/draw/chart.h:
src/draw/grid.h:
src/eval/measure.h:
src/eval/swd.h:
src/eval/tracker.h:
src/gan/runstate.h:
src/train/metrics.h:
src/util/util.h:
