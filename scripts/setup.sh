#!/usr/bin/env bash
# Installs everything the IVR and its tests need on a fresh Debian machine (run as root or
# with sudo available): the apt packages, then a virtualenv in .venv with the project in it.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng: prompts; alsa-utils and asterisk-*: real recorded speech for the tests, the hearing evaluation
# set (babble too) and the turn-taking benchmark (the Italian packages add Carlo, the one male voice, and
# Menardi), asterisk-moh-opsound-wav real music on hold; PortAudio + PulseAudio: the live audio device;
# baresip + SIPp + Kamailio + tcpdump: SIP peers, a proxy and RTP timing for the tests; Graphviz + a CJK
# font: flow diagrams; PostgreSQL: shared records.
APT_PACKAGES=(espeak-ng libespeak-ng1 sox alsa-utils libportaudio2 pulseaudio pulseaudio-utils
              libasound2-plugins baresip sip-tester kamailio tcpdump graphviz fonts-wqy-microhei postgresql python3-venv
              asterisk-core-sounds-en-wav asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav
              asterisk-core-sounds-ru-wav asterisk-core-sounds-it-wav asterisk-prompt-it-menardi-wav
              asterisk-moh-opsound-wav)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
  echo "setup: installing Python packages into .venv" >&2
  pip_install() { .venv/bin/python -m pip install -q --disable-pip-version-check "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
  pip_install -e '.[dev]'
  # silero-vad ships the ONNX model we use; its own Python code needs torch, which we don't.
  pip_install --no-deps 'silero-vad==6.2.3'
  # Pipecat's Smart Turn v3.2 end-of-turn model, scored by benchmarks/turn_taking.py --smart-turn (model and
  # feature code only: the rest of Pipecat and its dependencies are not needed).
  pip_install --no-deps 'pipecat-ai==1.14.0'
  echo "$stamp" > .venv/.installed
fi
# Bytecode for our modules now: where PYTHONDONTWRITEBYTECODE is set (containers often do) every command would
# compile them again (~70 ms of each `ivr` start). Up-to-date files are skipped.
.venv/bin/python -m compileall -q ivr benchmarks >/dev/null
# The sample calls (silent, hiss, real recorded speech) so `ivr replay audio/calls/speech.wav` works at once.
[ -f audio/calls/speech.wav ] || .venv/bin/python -m ivr.app.samples >&2
