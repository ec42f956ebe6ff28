# motcua — everything a newcomer needs, on a fresh Debian machine as root:
#   make demo   set up, then run a whole hall on this machine
#   make test   set up, then the whole test suite (and the shared conformance kit)
#   make check  ruff, mypy and the tests that start no real process, in under a minute

VENV        ?= .venv
PY          := $(VENV)/bin/python
APT_PACKAGES := mosquitto mosquitto-clients socat espeak-ng alsa-utils fonts-dejavu-core tesseract-ocr \
                gammu gammu-smsd fonts-liberation2 poppler-utils chromium chromium-driver \
                tesseract-ocr-vie openssl systemd python3-venv python3-pip faketime libfaketime keepalived iproute2 \
                openssh-server
# the parts of ../shared/conformance this build has; each new part adds its marker
CONFORMANCE ?= config or hub or dossier or bridge or printing or display or kiosk or followup or console
SHARED      ?= ../shared

.PHONY: setup apt venv demo test check lint bench clean install

setup: apt venv

apt:
	@missing=""; \
	for b in mosquitto mosquitto_pub socat espeak-ng aplay tesseract openssl systemd-analyze gammu-smsd pdftotext chromium chromedriver faketime sshd; do \
	  command -v $$b >/dev/null 2>&1 || [ -x /usr/sbin/$$b ] || missing=1; done; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing=1; \
	[ -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || missing=1; \
	python3 -m venv --help >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $(APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

lint: venv
	$(PY) -m ruff check motcua kiosk firmware_bridge display_board devtools tests bench image

# fast (under a minute), no real process: ruff, mypy, and the tests not marked `real` (docs/testing.md)
check: lint
	$(PY) -m mypy
	$(PY) -m pytest -q -m "not real"

test: setup lint
	$(PY) -m mypy
	$(PY) -m pytest
	@if [ -x $(SHARED)/conformance/run ]; then \
	  $(SHARED)/conformance/run . -m "$(CONFORMANCE)"; \
	elif [ -n "$$CI" ]; then echo "conformance kit $(SHARED)/conformance missing" >&2; exit 1; \
	else echo "note: $(SHARED)/conformance not found; conformance skipped"; fi

demo: setup                  # PROVINCE=1: two halls bridged to a province, and its console
	$(PY) -m devtools.demo $(if $(PROVINCE),--province)

bench: setup
	$(PY) bench/hub_bench.py
	$(PY) bench/dossier_bench.py
	$(PY) bench/bridge_bench.py
	$(PY) bench/printing_bench.py
	$(PY) bench/display_bench.py
	$(PY) bench/kiosk_bench.py
	$(PY) bench/followup_bench.py
	$(PY) bench/sms_bench.py
	$(PY) bench/console_bench.py
	$(PY) bench/province_bench.py

install:                     # on a board, as root: make install ROLE=hub | ROLE=console | ROLE=display ID=hall ...
	@[ -n "$(ROLE)" ] || { echo "usage: make install ROLE=hub|followup|console|kiosk|display|bridge [ID=...]"; exit 2; }
	bash systemd/install.sh $(ROLE) $(ID)

clean:
	rm -rf $(VENV) demo-out *.egg-info

# The appliance image (docs/image.md), as root: make image [ARCH=arm64]; make test-image boots it in QEMU.
# Slow (minutes each): not part of `make test`.
ARCH        ?= amd64
IMAGE_DIR   ?= /var/tmp/motcua-image
IMAGE_TOOLS := mmdebstrap mtools dosfstools fdisk e2fsprogs $(if $(filter arm64,$(ARCH)),qemu-user-static binfmt-support arch-test)
QEMU_TOOLS  := qemu-system-x86 qemu-utils ovmf mtools mosquitto-clients

.PHONY: image test-image test-image-arm64

image:
	@dpkg -s $(IMAGE_TOOLS) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(IMAGE_TOOLS); }
	bash image/build.sh $(ARCH) $(IMAGE_DIR)

test-image: setup
	$(MAKE) image ARCH=amd64
	@dpkg -s $(QEMU_TOOLS) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(QEMU_TOOLS); }
	MOTCUA_IMAGE=$(IMAGE_DIR)/motcua-amd64.img $(PY) -m pytest -q -s -p no:cacheprovider image/test_image.py

# the arm64 image under qemu-system-aarch64 -M virt (TCG) to the hub answering a ticket: much slower, never in CI
test-image-arm64: setup
	$(MAKE) image ARCH=arm64
	@dpkg -s qemu-system-arm mtools mosquitto-clients >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm mtools mosquitto-clients; }
	MOTCUA_IMAGE_ARM64=$(IMAGE_DIR)/motcua-arm64.img $(PY) -m pytest -q -s -p no:cacheprovider image/test_image_arm64.py
