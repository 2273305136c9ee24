build-nocuda/train/srtrain.o: src/train/srtrain.c src/train/srtrain.h \
 src/nn/srnet.h src/backend/backend.h src/nn/net.h src/util/rng.h \
 src/data/dataset.h src/image/imageio.h src/nn/optimizer.h \
 src/nn/safetensors.h src/util/util.h src/gan/wgan.h src/nn/dcgan.h
src/train/srtrain.h:
src/nn/srnet.h:
src/backend/backend.h:
src/nn/net.h:
src/util/rng.h:
src/data/dataset.h:
src/image/imageio.h:
src/nn/optimizer.h:
src/nn/safetensors.h:
src/util/util.h:
src/gan/wgan.h:
src/nn/dcgan.h:
