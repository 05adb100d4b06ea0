# The two commands a fresh Debian machine needs (README.md):
#   make run   install packages, build, run the main job on the best device
#   make test  install packages, build, run the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test bench clean
all: build

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

run: build
	bash scripts/demo.sh $(BUILD)/cli/gpuos

# Mesa's shader cache in the build tree unless one is set: on lavapipe the
# first boot compiles the kernel for ~17 s, and every later boot reuses it
# only if the cache is writable (docs/platform.md 2e).
test: build
	cd $(BUILD) && MESA_SHADER_CACHE_DIR=$${MESA_SHADER_CACHE_DIR:-$(abspath $(BUILD))/mesa-shader-cache} \
	  ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/session/gpuos_bench_session --mode both
	$(BUILD)/bench/vm/gpuos_bench_vm

clean:
	rm -rf $(BUILD)
