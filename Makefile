# SPDX-License-Identifier: BSD-3-Clause
# The README's commands. Each sets up what is missing (scripts/setup.sh), configures and builds.
#   make run          build and run the main job: the simple-flow example in-process, then
#                     an unmodified /dev/iommu program under ioasid-run (daemon + shim),
#                     then ioasidctl looking at a live program's objects and page table,
#                     then the I/OAT driver through VFIO (cdev, type1, iommufd container),
#                     in-process and with the device in the daemon
#   make check        build twice (plain, and ASan+UBSan) and run every test in both
#   make conformance  the kernel's iommufd selftest under the shim
#   make conformance-next  the newest upstream selftest Debian packages (linux-source-N.M
#                     from sid or trixie-backports, downloaded and cached), under the shim
#   make bench        the benchmarks; results in build/bench/results.json
#   make oracle       ioasid side by side with the real kernel (6.12 in a VM); results in
#                     build/oracle/results.tsv
BUILD ?= build
SAN ?= build-san
MESON_OPTS ?=
WERROR ?= false

.PHONY: all setup build build-san run check conformance conformance-next bench oracle clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: | setup
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_OPTS)

$(SAN)/build.ninja: | setup
	meson setup $(SAN) -Dwerror=$(WERROR) -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug $(MESON_OPTS)

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-san: setup $(SAN)/build.ninja
	ninja -C $(SAN)

run: build
	./$(BUILD)/examples/simple-dma
	./$(BUILD)/tools/ioasid-run -- ./$(BUILD)/examples/iommufd-hello
	./$(BUILD)/tools/ioasid-run -- ./$(BUILD)/examples/iommufd-graph -- \
		bash tools/ioasidctl-demo.sh ./$(BUILD)/tools/ioasidctl
	# the I/OAT driver through VFIO: the cdev, then both group/container paths; in-process,
	# then with the device in the daemon
	for m in cdev type1 iommufd; do \
		./$(BUILD)/tools/ioasid-run --inproc -- ./$(BUILD)/examples/ioat-vfio $$m || exit 1; \
	done
	for m in cdev type1 iommufd; do \
		./$(BUILD)/tools/ioasid-run -- ./$(BUILD)/examples/ioat-vfio $$m || exit 1; \
	done

check: build build-san
	@bash scripts/run-tests.sh $(BUILD) $(SAN)

conformance: build
	@bash scripts/conformance.sh $(BUILD)

conformance-next: build
	@bash scripts/conformance-next.sh $(BUILD)

bench: build
	@bash scripts/bench.sh $(BUILD)

oracle: build
	@bash scripts/oracle.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN)
