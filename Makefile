# fakeit: one Makefile. `make` builds the program, `make test` installs any
# missing Debian package, builds and runs every test (also under ASan/UBSan,
# and once more without oneDNN).
#
#   make demo      deps + build + draw bikes, prepare, train a few minutes, sample, upscale
#   make            build ./fakeit, build/libfakeit.a and build/libfakeit.so (include/fakeit.h)
#   make test       deps + unit, oracle and gradient tests + the same under sanitizers
#                   + the unit tests of a build with the reference backend alone (DNNL=0)
#                   and the C test programs of one without LIBXSMM (XSMM=0); each
#                   build compiled with JOBS jobs (one per core), the tests one at a time
#   make test-unit  the suite against one build (BUILD, DNNL, CUDA as given; FORCED=0
#                   skips the runs under forced layouts, paths and ISA caps, SCRIPTS=0
#                   the shell tests of the program)
#   make test-asan  the C tests under AddressSanitizer and UBSan only
#   make config     print what this build has (oneDNN, CUDA) and where it goes
#   make bench      benchmarks: print figures (bench/)
#   make bench-profile  where the reference configuration's iteration goes, per layer
#   make bench-conv every convolution pass alone: ms, GFLOP/s, share of the FMA peak
#   make bench-mpi  data-parallel training: 1 process against mpirun -np CORES
#   make bench-fmnist  the Fashion-MNIST quality benchmark (docs/fmnist/)
#   make bench-bf16 --precision bf16 against fp32 on Fashion-MNIST (docs/fmnist/bf16.md)
#   make fixtures   regenerate tests/fixtures with PyTorch (installs python3-torch)
#   make deps       install missing Debian packages (scripts/install-deps.sh)
#   make install    the program, libfakeit.so, fakeit.h, fakeit.pc, the bike model (PREFIX=/usr/local)
#   make web        the browser sampler's runtime (onnxruntime-web from npm) into build/web
#   make sr-model   retrain models/bikes-x4.safetensors (the default upscaling model)
#   make bench-sr   the super-resolution report in docs/sr (installs the photos)
#
# Optional parts are detected, not toggled by hand; each can be forced:
#   DNNL=1|0   the oneDNN CPU backend (src/backend/cpu): on when <dnnl.h> is found.
#              DNNL=0 builds the reference backend alone, into build-nodnnl/.
#   XSMM=1|0   LIBXSMM's convolutions in the CPU backend (src/backend/cpu/xsmm.c,
#              Debian's libxsmm-dev): on with DNNL when <libxsmm.h> is found.
#              XSMM=0 builds the CPU backend on oneDNN alone, into build-noxsmm/.
#   CUDA=1|0   CUDA kernels (src/backend/cuda/*.cu, compiled by nvcc): on when
#              nvcc is found (on PATH or in /usr/local/cuda/bin).
#   MPI=1|0    running as N processes under mpirun (src/dist, OpenMPI): on when
#              mpicc is found.
#   NCCL=1|0   data-parallel sums on the GPUs (src/backend/cuda/comm.cu): on
#              with CUDA when nccl.h is in the CUDA toolkit.

CC      ?= cc
PREFIX  ?= /usr/local
# -ffp-contract=off: no fused multiply-adds the source does not ask for, so the
# reference stays bit-reproducible across compilers and flags.
# CFLAGS is the user's (optimisation, sanitizers); FK_CFLAGS is always used.
CFLAGS  ?= -O2 -g

DNNL ?= $(shell printf '\043include <dnnl.h>\n' | $(CC) -E -x c - > /dev/null 2>&1 && echo 1 || echo 0)
XSMM ?= $(if $(filter 1,$(DNNL)),$(shell printf '\043include <libxsmm.h>\n' | $(CC) -E -x c - > /dev/null 2>&1 && echo 1 || echo 0),0)
NVCC ?= $(firstword $(shell command -v nvcc 2> /dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
CUDA ?= $(if $(NVCC),1,0)
MPICC ?= $(shell command -v mpicc 2> /dev/null)
MPI ?= $(if $(MPICC),1,0)
MPI_CFLAGS := $(if $(filter 1,$(MPI)),-DFAKEIT_HAVE_MPI $(shell $(MPICC) --showme:compile))
MPI_LIBS := $(if $(filter 1,$(MPI)),$(shell $(MPICC) --showme:link))
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_ARCH ?= 90

# Every build configuration has its own folder, so switching never mixes objects.
BUILD ?= build$(if $(filter 0,$(DNNL)),-nodnnl,$(if $(filter 0,$(XSMM)),-noxsmm))
# The program: ./fakeit for the default build, else inside its build folder.
PROGRAM ?= $(if $(filter build,$(BUILD)),fakeit,$(BUILD)/fakeit)

ifeq ($(CUDA),1)
ifeq ($(NVCC),)
$(error CUDA=1 but no nvcc: install the CUDA toolkit or build with CUDA=0)
endif
endif

PKGS    = vips cairo zlib
SRC      := $(sort $(wildcard src/*/*.c src/*/*/*.c))
CPU_SRC  := $(filter src/backend/cpu/%,$(SRC))
LIB_SRC  := $(filter-out src/cli/main.c $(if $(filter 1,$(DNNL)),,$(CPU_SRC)) \
                         $(if $(filter 1,$(XSMM)),,src/backend/cpu/xsmm.c),$(SRC))
CUDA_SRC := $(if $(filter 1,$(CUDA)),$(sort $(wildcard src/backend/cuda/*.cu)))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
CUDA_OBJ := $(CUDA_SRC:src/%.cu=$(BUILD)/%.o)
# The CUDA backend is a module the program opens only where a GPU may answer
# (src/backend/registry.c), so CPU runs never map cuDNN and cuBLAS.
CUDA_MODULE := $(if $(CUDA_SRC),$(BUILD)/fakeit-cuda.so)
NCCL ?= $(if $(and $(CUDA_SRC),$(wildcard $(CUDA_HOME)/include/nccl.h)),1,0)

DEFS    = $(if $(filter 1,$(DNNL)),-DFAKEIT_HAVE_DNNL) $(if $(filter 1,$(XSMM)),-DFAKEIT_HAVE_XSMM) $(if $(CUDA_SRC),-DFAKEIT_HAVE_CUDA) \
          $(MPI_CFLAGS)
# -fPIC: the same objects make libfakeit.a (the program, the tests) and libfakeit.so
FK_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -ffp-contract=off -fPIC -MMD -MP -Isrc -Iinclude $(DEFS) \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(if $(filter 1,$(DNNL)),-ldnnl) \
           $(if $(filter 1,$(XSMM)),-lxsmmext -lxsmm -lxsmmnoblas -lpthread -lrt -ldl) \
           $(if $(CUDA_SRC),-rdynamic -ldl) $(MPI_LIBS) -lcjson -lm
CUDA_LIBS = -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudnn -lcublas $(if $(filter 1,$(NCCL)),-lnccl) \
            -lcudart_static -lstdc++ -ldl -lrt -lpthread
NVCC_FLAGS ?= -O3 -std=c++17 -arch=sm_$(CUDA_ARCH) -Xcompiler -fopenmp,-Wall,-Wextra,-fPIC
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

# The fast backend's loops and the measurements' are written for the vectoriser.
# -fno-trapping-math lets it turn `x > 0 ? x : x * s` into a vector select (gcc
# will not otherwise, below AVX-512); the results are the same bits, only the
# floating-point exception flags (which fakeit never reads) may differ.
$(BUILD)/backend/cpu/%.o $(BUILD)/eval/%.o: XCFLAGS = -O3 -fno-trapping-math
# files compiled in with FK_EMBED (util/util.h)
$(BUILD)/train/report.o: src/train/report_page.js src/train/report_page.css
$(BUILD)/export/web.o: src/export/sampler.html src/export/sampler.js
# where the registry looks for the CUDA module last: the build folder
$(BUILD)/backend/registry.o: XCFLAGS = $(if $(CUDA_SRC),-DFAKEIT_CUDA_MODULE='"$(CURDIR)/$(CUDA_MODULE)"')

TESTS := test_oracle test_gradcheck test_engine test_backends test_data test_train test_eval test_sr test_api
TEST_TOOLS := tensor_diff  # programs the shell tests call
# make test compiles each build with one job per core before running its
# tests one at a time (the tests stay serial: some time kill -9 and resume)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# test-unit's runs under forced settings (FORCED=0: none; make test's build
# without LIBXSMM, whose code they would run a second time):
# the CPU backend's blocked layouts, forced whatever the CPU (only with
# oneDNN; the plain run of test_backends is one of them);
FORCED ?= 1
BLOCKS := $(if $(filter 1,$(DNNL)),$(if $(filter 1,$(FORCED)),16 8))
# its convolution paths, each forced everywhere it can run (test_backends on
# what goes through the convolutions), and its rule under the instruction
# sets oneDNN can be held to below the CPU's own (AVX2 on an AVX-512 CPU,
# AVX-512 BF16 on one with AMX; a cap at or above the CPU's is its own run)
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
CONV_PATHS := $(if $(filter 1,$(DNNL)),$(if $(filter 1,$(FORCED)),dnnl gemm own $(if $(filter 1,$(XSMM)),xsmm)))
CONV_ISAS := $(if $(filter 1,$(DNNL)),$(if $(filter 1,$(FORCED)),$(if $(filter avx512f,$(CPU_FLAGS)),AVX2) \
                 $(if $(filter amx_tile,$(CPU_FLAGS)),AVX512_CORE_BF16)))
# The forced convolution runs, each a setting of the environment (its
# assignments joined by ':'): each path, and fakeit's own kernels in their
# AVX2 form (8-channel blocks) on an AVX-512 CPU (elsewhere the own run is it)
OWN_AVX2 := $(if $(filter own,$(CONV_PATHS)),$(if $(filter avx512f,$(CPU_FLAGS)),$(if $(filter avx2,$(CPU_FLAGS)),1)))
CONV_RUNS := $(addprefix FAKEIT_CPU_CONV=,$(CONV_PATHS)) $(if $(OWN_AVX2),FAKEIT_CPU_CONV=own:FAKEIT_CPU_BLOCK=8)
# test-unit's shell tests of the program (SCRIPTS=0: its C test programs alone)
SCRIPTS ?= 1

.DEFAULT_GOAL := all
.SECONDARY:
# the library's version, from the public header
VERSION := $(shell sed -n 's/^\#define FAKEIT_VERSION "\(.*\)"/\1/p' include/fakeit.h)
SONAME  := libfakeit.so.$(firstword $(subst ., ,$(VERSION)))
SHLIB   := $(BUILD)/libfakeit.so.$(VERSION)

.PHONY: all web config test test-build test-unit test-scripts test-asan fuzz deps-test bench bench-profile bench-conv bench-gpu bench-mpi gpu-pack bench-fmnist bench-bikes bench-bf16 bench-sr sr-model demo fixtures deps install clean FORCE
all: $(PROGRAM) $(SHLIB)

config:
	@echo "build folder $(BUILD), program $(PROGRAM)"
	@echo "oneDNN CPU backend: $(if $(filter 1,$(DNNL)),yes,no) (DNNL=$(DNNL))"
	@echo "LIBXSMM convolutions in it: $(if $(filter 1,$(XSMM)),yes,no) (XSMM=$(XSMM); which passes run on it: FAKEIT_CPU_CONV, docs/performance.md)"
	@echo "CUDA: $(if $(filter 1,$(CUDA)),nvcc $(NVCC); $(words $(CUDA_SRC)) kernel files,no) (CUDA=$(CUDA))"
	@echo "MPI: $(if $(filter 1,$(MPI)),$(MPICC),no) (MPI=$(MPI); train, sample and upscale run as N processes under mpirun)"
	@echo "NCCL: $(if $(filter 1,$(NCCL)),yes,no) (NCCL=$(NCCL); the GPUs' sums in data-parallel training)"

# what this folder was built with (options, flags); objects are rebuilt when
# it changes, and only then is it rewritten
CONFIG_LINE = DNNL=$(DNNL) XSMM=$(XSMM) CUDA_SRC=$(CUDA_SRC) NCCL=$(NCCL) FLAGS=$(FK_CFLAGS) $(CFLAGS)
$(BUILD)/config.mk: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CONFIG_LINE)' | cmp -s - $@ || echo '$(CONFIG_LINE)' > $@

$(PROGRAM): $(BUILD)/cli/main.o $(BUILD)/libfakeit.a | $(CUDA_MODULE)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fakeit-cuda.so: $(CUDA_OBJ)
	$(CC) -shared -o $@ $^ $(CUDA_LIBS)

# The shared library exports the API of include/fakeit.h (src/cli/api.map);
# the program is main.c, fk_main's client, linked with libfakeit.a.
$(SHLIB): $(LIB_OBJ) src/cli/api.map
	$(CC) $(FK_CFLAGS) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/cli/api.map \
	    -o $@ $(LIB_OBJ) $(LDLIBS)
	ln -sf $(notdir $@) $(BUILD)/$(SONAME) && ln -sf $(SONAME) $(BUILD)/libfakeit.so

# The program make install puts in PREFIX/bin: main.c against the installed
# libfakeit.so (found at $ORIGIN/../lib), the library's first client.
$(BUILD)/fakeit-installed: $(BUILD)/cli/main.o $(SHLIB)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $< $(SHLIB) -Wl,-rpath,'$$ORIGIN/../lib'

$(BUILD)/libfakeit.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(FK_CFLAGS) $(CFLAGS) $(XCFLAGS) -c -o $@ $<

$(BUILD)/%.o: src/%.cu $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCC_FLAGS) -Isrc $(DEFS) $(if $(filter 1,$(NCCL)),-DFAKEIT_HAVE_NCCL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%: $(BUILD)/tests/%.o $(BUILD)/libfakeit.a | $(CUDA_MODULE)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The browser sampler's runtime: ONNX Runtime Web from the npm registry
# (scripts/npm-deps.sh), its files copied into build/web, where fakeit export
# --web finds them (make install puts them in share/fakeit/web).
WEB_RUNTIME := ort.wasm.min.js ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm
web:
	scripts/npm-deps.sh
	mkdir -p build/web
	cp $(addprefix build/npm/node_modules/onnxruntime-web/dist/,$(WEB_RUNTIME)) build/web/

deps:
	@scripts/install-deps.sh build
deps-test:
	@scripts/install-deps.sh test

# Everything test-unit runs, built (make test: with JOBS jobs).
test-build: $(addprefix $(BUILD)/,$(TESTS) $(TEST_TOOLS)) $(PROGRAM) $(SHLIB) $(BUILD)/fakeit-installed

# Runs the suite against one build folder; each program exits non-zero on failure.
# A program outside the source tree finds the shipped model through FAKEIT_SR_MODEL.
test-unit: test-build
	tests/check_structure.sh
	tests/check_links.sh
	$(BUILD)/test_engine
	$(BUILD)/test_gradcheck
	$(if $(BLOCKS),,$(BUILD)/test_backends)
	$(foreach b,$(BLOCKS),FAKEIT_CPU_BLOCK=$(b) $(BUILD)/test_backends && ) true
	$(foreach r,$(CONV_RUNS),$(subst :, ,$(r)) $(BUILD)/test_backends cpu conv && \
	    $(subst :, ,$(r)) $(BUILD)/test_gradcheck cpu && \
	    $(subst :, ,$(r)) $(BUILD)/test_oracle tests/fixtures/engine.safetensors cpu && ) true
	$(foreach i,$(CONV_ISAS),ONEDNN_MAX_CPU_ISA=$(i) $(BUILD)/test_backends cpu && ) true
	$(BUILD)/test_oracle tests/fixtures/engine.safetensors
	$(BUILD)/test_data
	$(BUILD)/test_train
	$(BUILD)/test_eval
	$(BUILD)/test_sr
	FAKEIT_SR_MODEL=models/bikes-x4.safetensors $(BUILD)/test_api
	$(if $(filter 1,$(SCRIPTS)),$(MAKE) --no-print-directory test-scripts)

# test-unit's shell tests of the program, the library and mpirun
test-scripts: $(PROGRAM) $(BUILD)/tensor_diff
	FAKEIT=./$(PROGRAM) FAKEIT_DNNL=$(DNNL) FAKEIT_CUDA=$(if $(CUDA_SRC),1,0) \
	    $(if $(filter fakeit,$(PROGRAM)),,FAKEIT_SR_MODEL=models/bikes-x4.safetensors) tests/test_cli.sh
	FAKEIT=./$(PROGRAM) $(if $(filter fakeit,$(PROGRAM)),,FAKEIT_SR_MODEL=models/bikes-x4.safetensors) tests/test_crash.sh
	FAKEIT=./$(PROGRAM) tests/test_model.sh
	FAKEIT=./$(PROGRAM) FAKEIT_SR_MODEL=models/bikes-x4.safetensors tests/test_export.sh
	FAKEIT=./$(PROGRAM) FAKEIT_SR_MODEL=models/bikes-x4.safetensors tests/test_browser.sh
	FAKEIT=./$(PROGRAM) FAKEIT_MPI=$(MPI) FAKEIT_SR_MODEL=models/bikes-x4.safetensors TENSOR_DIFF=$(BUILD)/tensor_diff \
	    tests/test_mpi.sh
	@tmp=$$(mktemp -d) && $(MAKE) -s install PREFIX=$$tmp/prefix > /dev/null && \
	    tests/test_library.sh $$tmp/prefix; rc=$$?; rm -rf $$tmp; exit $$rc

test-asan:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_FLAGS)" \
	    build-asan/libfakeit.a $(addprefix build-asan/,$(TESTS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    sh -c 'build-asan/test_engine && build-asan/test_gradcheck && build-asan/test_backends && \
	           build-asan/test_oracle tests/fixtures/engine.safetensors && build-asan/test_data && \
	           build-asan/test_train && build-asan/test_eval && build-asan/test_sr && \
	           FAKEIT_SR_MODEL=models/bikes-x4.safetensors build-asan/test_api'

test: deps-test
	$(MAKE) web || echo "make web failed: the browser sampler's checks will say SKIPPED"
	$(MAKE) -j$(JOBS) test-build
	$(MAKE) test-unit
	$(MAKE) -j$(JOBS) test-asan
	$(MAKE) -j$(JOBS) DNNL=0 test-build
	$(MAKE) DNNL=0 test-unit
	$(if $(filter 1,$(XSMM)),$(MAKE) -j$(JOBS) XSMM=0 test-build)
	$(if $(filter 1,$(XSMM)),$(MAKE) XSMM=0 FORCED=0 SCRIPTS=0 test-unit)
	$(MAKE) -j$(JOBS) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS_TEST)

# libFuzzer harnesses (Debian's clang) for every parser of outside bytes, in
# a build of their own: the library compiled by clang with coverage,
# AddressSanitizer and UndefinedBehaviorSanitizer. `make fuzz` runs each for
# FUZZ_SECONDS from the seed corpora in tests/fuzz/corpus (new inputs go to
# build-fuzz/corpus, never into the tree) after replaying the regression
# inputs in tests/fuzz/regressions; `make test` runs each for a few seconds.
FUZZERS := fuzz_checkpoint fuzz_fkd fuzz_idx fuzz_image fuzz_opts
FUZZ_SECONDS ?= 60
FUZZ_SECONDS_TEST ?= 5
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
              -Wno-implicit-const-int-float-conversion -Wno-pass-failed
fuzz: deps-test
	$(MAKE) BUILD=build-fuzz CC=clang DNNL=0 CUDA=0 MPI=0 CFLAGS="$(FUZZ_CFLAGS)" $(addprefix build-fuzz/,$(FUZZERS))
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZERS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build-fuzz/libfakeit.a
	$(CC) $(FK_CFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libfakeit.a $(LDLIBS)

$(BUILD)/bench_%: bench/%.c $(BUILD)/libfakeit.a | $(CUDA_MODULE)
	$(CC) $(FK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# data-parallel training: 1 process against one process per core (bench/mpi.sh)
bench-mpi: $(PROGRAM)
	@scripts/install-deps.sh test
	FAKEIT=./$(PROGRAM) bench/mpi.sh

# On a GPU machine: fakeit's cuda backend against PyTorch eager and
# torch.compile, side by side (bench/gpu.sh; needs a PyTorch with CUDA).
bench-gpu: $(PROGRAM) $(BUILD)/bench_speed
	FAKEIT=./$(PROGRAM) BENCH_SPEED=$(BUILD)/bench_speed bench/gpu.sh

# What a GPU machine without compilers needs to run scripts/gpu-check.sh:
# the program, the tests and the benchmark in build/gpu/, and the shared
# libraries they load (all but the C library and CUDA's) in build/gpu/libs.tar.xz.
GPU_PACK = $(PROGRAM) $(addprefix $(BUILD)/,$(TESTS) $(TEST_TOOLS)) $(BUILD)/bench_speed $(CUDA_MODULE)
gpu-pack: $(GPU_PACK)
	rm -rf $(BUILD)/gpu && mkdir -p $(BUILD)/gpu/libs
	cp $(GPU_PACK) $(BUILD)/gpu/
	ldd $(GPU_PACK) | awk '/=> \// {print $$3}' | sort -u | \
	    grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so|/usr/local/cuda|libcuda\.so' | \
	    xargs -I{} cp -L {} $(BUILD)/gpu/libs/
	tar -cJf $(BUILD)/gpu/libs.tar.xz -C $(BUILD)/gpu libs && rm -rf $(BUILD)/gpu/libs
	@du -sh $(BUILD)/gpu

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
	$(MAKE) $(BUILD)/bench_speed $(BUILD)/bench_sr_speed
	bench/prepare_speed.sh
	bench/speed.sh

# Per layer of both networks: milliseconds, GFLOP/s and share of one
# iteration of the reference configuration (64x64, batch 64, 2 threads);
# then per layer of a super-resolution training step (sr-train's defaults).
bench-profile:
	$(MAKE) fakeit $(BUILD)/bench_speed $(BUILD)/bench_sr_speed
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	./fakeit bikes -n 1200 -o "$$tmp/bikes" --size 64 > /dev/null && \
	./fakeit prepare "$$tmp/bikes" -o "$$tmp/bikes64.fkd" --size 64 > /dev/null && \
	$(BUILD)/bench_speed "$$tmp/bikes64.fkd" --batch 64 --threads 2 --iters 3 --sample-reps 1 --profile && \
	$(BUILD)/bench_sr_speed --threads 2 --iters 40 --profile

# Every convolution of the reference configuration one pass at a time
# (bench/conv.c), on the backend's rule and on each library forced, side by side.
bench-conv:
	$(MAKE) CFLAGS="-O3 -g" $(BUILD)/bench_peak $(BUILD)/bench_conv
	@peak=$$($(BUILD)/bench_peak 2 | sed -n 's/^peak threads=2 .*gflops=//p') && echo "FMA peak, 2 threads: $$peak GFLOP/s" && \
	for c in fp32:rule fp32:dnnl fp32:gemm fp32:own $(if $(filter 1,$(XSMM)),fp32:xsmm) bf16:rule bf16:dnnl bf16:gemm bf16:own; do \
	    e=$${c#*:}; [ $$e = rule ] && e=; \
	    FAKEIT_CPU_CONV=$$e $(BUILD)/bench_conv --peak $$peak --precision $${c%%:*} || exit 1; done

# The Fashion-MNIST quality benchmark (about an hour on 2 cores): fakeit
# WGAN and WGAN-GP for the same training time, PyTorch's reference for the
# same iterations, SWD over time; results in docs/fmnist/.
bench-bikes:
	@scripts/install-deps.sh bench
	$(MAKE) fakeit $(BUILD)/bench_curves
	bench/bikes.sh

bench-fmnist:
	@scripts/install-deps.sh bench
	$(MAKE) fakeit $(BUILD)/bench_curves
	bench/fmnist.sh

# bf16 against fp32 at equal generator iterations, two seeds (docs/fmnist/bf16.md)
bench-bf16:
	@scripts/install-deps.sh bench
	$(MAKE) fakeit
	bench/bf16.sh

# The default super-resolution model models/bikes-x4.safetensors, trained
# from the built-in bikes (about 6 minutes on 2 cores).
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

# The program, the library (header, shared library, pkg-config file), the
# shipped model, the browser sampler's runtime when `make web` built it, the
# CUDA module. PREFIX=... and DESTDIR=... as usual.
install: $(BUILD)/fakeit-installed $(SHLIB) $(CUDA_MODULE)
	install -D -m 755 $(BUILD)/fakeit-installed $(DESTDIR)$(PREFIX)/bin/fakeit
	install -D -m 644 include/fakeit.h $(DESTDIR)$(PREFIX)/include/fakeit.h
	install -D -m 755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/$(notdir $(SHLIB))
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libfakeit.so
	mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' fakeit.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fakeit.pc
	install -D -m 644 models/bikes-x4.safetensors $(DESTDIR)$(PREFIX)/share/fakeit/bikes-x4.safetensors
	$(if $(wildcard build/web/ort.wasm.min.js),mkdir -p $(DESTDIR)$(PREFIX)/share/fakeit/web && \
	    install -m 644 $(addprefix build/web/,$(WEB_RUNTIME)) $(DESTDIR)$(PREFIX)/share/fakeit/web/)
	$(if $(CUDA_MODULE),install -D -m 755 $(CUDA_MODULE) $(DESTDIR)$(PREFIX)/lib/fakeit/fakeit-cuda.so)

clean:
	rm -rf build build-asan build-nodnnl fakeit

FORCE:

-include $(LIB_OBJ:.o=.d) $(CUDA_OBJ:.o=.d) $(BUILD)/cli/main.d $(wildcard $(BUILD)/tests/*.d $(BUILD)/bench_*.d $(BUILD)/test_*.d)
