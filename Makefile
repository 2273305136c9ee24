# fakeit: one Makefile. `make` builds the program, `make test` installs any
# missing Debian package, builds and runs every test (also under ASan/UBSan).
#
#   make demo      deps + build + draw bikes, prepare, train a few minutes, sample, upscale
#   make            build ./fakeit and build/libfakeit.a
#   make test       deps + unit, oracle and gradient tests + the same under sanitizers
#   make test-asan  the test suite under AddressSanitizer and UBSan only
#   make bench      benchmarks: print figures (bench/)
#   make bench-fmnist  the Fashion-MNIST quality benchmark (docs/fmnist/)
#   make fixtures   regenerate tests/fixtures with PyTorch (installs python3-torch)
#   make deps       install missing Debian packages (scripts/install-deps.sh)
#   make install    copy fakeit to $(PREFIX)/bin, its bike model to $(PREFIX)/share/fakeit
#   make sr-model   retrain models/bikes-x4.safetensors (the default upscaling model)
#   make bench-sr   the super-resolution report in docs/sr (installs the photos)

CC      ?= cc
PREFIX  ?= /usr/local
# -ffp-contract=off: no fused multiply-adds the source does not ask for, so the
# reference stays bit-reproducible across compilers and flags.
# CFLAGS is the user's (optimisation, sanitizers); FK_CFLAGS is always used.
CFLAGS  ?= -O2 -g
PKGS    = vips cairo zlib
FK_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -ffp-contract=off -MMD -MP -Isrc \
            -DFAKEIT_HAVE_DNNL $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldnnl -lcjson -lm
# the fast backend's loops are written for the vectoriser
$(BUILD)/backend_cpu.o $(BUILD)/swd.o $(BUILD)/evaluate.o: XCFLAGS = -O3
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRC := $(wildcard src/*/*.c src/*/*/*.c)
LIB_SRC := $(filter-out src/cli/main.c,$(SRC))
TESTS := test_oracle test_gradcheck test_engine test_backends test_data test_train test_eval test_sr

BUILD ?= build
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)

.SECONDARY:
.PHONY: all test test-unit test-asan bench bench-fmnist bench-sr sr-model demo fixtures deps install clean
all: fakeit

fakeit: $(BUILD)/cli/main.o $(BUILD)/libfakeit.a
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libfakeit.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FK_CFLAGS) $(CFLAGS) $(XCFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%: $(BUILD)/tests/%.o $(BUILD)/libfakeit.a
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@scripts/install-deps.sh build

# Runs the suite against one build directory; each program exits non-zero on failure.
test-unit: $(addprefix $(BUILD)/,$(TESTS)) fakeit
	$(BUILD)/test_engine
	$(BUILD)/test_gradcheck
	$(BUILD)/test_backends
	FAKEIT_CPU_BLOCK=16 $(BUILD)/test_backends
	FAKEIT_CPU_BLOCK=8 $(BUILD)/test_backends
	$(BUILD)/test_oracle tests/fixtures/engine.safetensors
	$(BUILD)/test_data
	$(BUILD)/test_train
	$(BUILD)/test_eval
	$(BUILD)/test_sr
	FAKEIT=./fakeit tests/test_cli.sh

test-asan:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_FLAGS)" \
	    build-asan/libfakeit.a $(addprefix build-asan/,$(TESTS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    sh -c 'build-asan/test_engine && build-asan/test_gradcheck && build-asan/test_backends && \
	           build-asan/test_oracle tests/fixtures/engine.safetensors && build-asan/test_data && \
	           build-asan/test_train && build-asan/test_eval && build-asan/test_sr'

test: deps
	$(MAKE) test-unit
	$(MAKE) test-asan

$(BUILD)/bench_%: bench/%.c $(BUILD)/libfakeit.a
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The README's first command: bikes, prepare, a few minutes of training, samples.
demo: deps
	$(MAKE) fakeit
	scripts/demo.sh

# Benchmarks print figures; they never pass or fail on time.
# bench/speed.sh ends with the summary line of the reference configuration.
bench:
	@scripts/install-deps.sh bench
	$(MAKE) fakeit $(BUILD)/bench_photos
	$(MAKE) CFLAGS="-O3 -g" $(BUILD)/bench_peak
	$(MAKE) $(BUILD)/bench_speed
	bench/prepare_speed.sh
	bench/speed.sh

# The Fashion-MNIST quality benchmark (about an hour on 2 cores): fakeit
# WGAN and WGAN-GP for the same training time, PyTorch's reference for the
# same iterations, SWD over time; results in docs/fmnist/.
bench-fmnist:
	@scripts/install-deps.sh bench
	$(MAKE) fakeit $(BUILD)/bench_curves
	bench/fmnist.sh

# The default super-resolution model models/bikes-x4.safetensors, trained
# from the built-in bikes (about 16 minutes on 2 cores).
sr-model: deps
	$(MAKE) fakeit
	scripts/sr-model.sh

# The super-resolution report (docs/sr/): photos, held-out bikes, SWD of
# upscaled GAN fakes (about 35 minutes on 2 cores).
bench-sr:
	@scripts/install-deps.sh photos
	$(MAKE) fakeit
	bench/sr_report.sh

fixtures:
	@scripts/install-deps.sh fixtures
	$(MAKE) $(BUILD)/fixture_ckpt
	$(BUILD)/fixture_ckpt tests/fixtures/fakeit_netG.safetensors
	/usr/bin/python3 tests/oracle.py tests/fixtures/engine.safetensors
	/usr/bin/python3 tests/swd_oracle.py tests/fixtures/swd.safetensors
	/usr/bin/python3 tests/srmetrics_oracle.py tests/fixtures/srmetrics.safetensors

install: fakeit
	install -D -m 755 fakeit $(DESTDIR)$(PREFIX)/bin/fakeit
	install -D -m 644 models/bikes-x4.safetensors $(DESTDIR)$(PREFIX)/share/fakeit/bikes-x4.safetensors

clean:
	rm -rf build build-asan fakeit

-include $(LIB_OBJ:.o=.d) $(BUILD)/cli/main.d $(wildcard $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
