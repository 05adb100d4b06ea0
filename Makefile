# The two commands a fresh Debian machine needs (README.md):
#   make run   install packages, build, show the product on the best device:
#              programs as GPU processes, ps while they run, their output, the
#              mailbox and ring figures (scripts/demo.sh; under a minute once
#              the kernel is compiled, a few minutes more the first time on lavapipe)
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

# Mesa's shader cache in the build tree unless one is set, the same for run
# and test: on lavapipe the first boot compiles the kernel for a minute or
# more, and every later boot reuses it only if the cache is writable
# (docs/platform.md 2e).
SHADER_CACHE = $${MESA_SHADER_CACHE_DIR:-$(abspath $(BUILD))/mesa-shader-cache}

run: build
	MESA_SHADER_CACHE_DIR=$(SHADER_CACHE) bash scripts/demo.sh $(BUILD)/cli/gpuos $(BUILD)/apps

test: build
	cd $(BUILD) && MESA_SHADER_CACHE_DIR=$(SHADER_CACHE) ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/session/gpuos_bench_session --mode both
	$(BUILD)/bench/vm/gpuos_bench_vm

clean:
	rm -rf $(BUILD)
