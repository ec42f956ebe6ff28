# motcua — everything a newcomer needs, on a fresh Debian machine as root:
#   make demo   set up, then run a whole hall on this machine
#   make test   set up, then the whole test suite (and the shared conformance kit)

VENV        ?= .venv
PY          := $(VENV)/bin/python
APT_PACKAGES := mosquitto mosquitto-clients socat espeak-ng alsa-utils fonts-dejavu-core tesseract-ocr \
                gammu gammu-smsd fonts-liberation2 poppler-utils chromium chromium-driver \
                tesseract-ocr-vie openssl systemd python3-venv python3-pip
# the parts of ../shared/conformance this build has; each new part adds its marker
CONFORMANCE ?= config or hub or dossier or bridge or printing or display or kiosk or followup or console
SHARED      ?= ../shared

.PHONY: setup apt venv demo test lint bench clean install

setup: apt venv

apt:
	@missing=""; \
	for b in mosquitto mosquitto_pub socat espeak-ng aplay tesseract openssl systemd-analyze gammu-smsd pdftotext chromium chromedriver; do \
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
	$(PY) -m ruff check motcua kiosk firmware_bridge display_board devtools tests bench

test: setup lint
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
	$(PY) bench/console_bench.py
	$(PY) bench/province_bench.py

install:                     # on a board, as root: make install ROLE=hub | ROLE=followup | ROLE=display ID=hall ...
	@[ -n "$(ROLE)" ] || { echo "usage: make install ROLE=hub|followup|kiosk|display|bridge [ID=...]"; exit 2; }
	bash systemd/install.sh $(ROLE) $(ID)

clean:
	rm -rf $(VENV) demo-out *.egg-info
