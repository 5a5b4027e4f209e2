#!/usr/bin/env bash
# A real audio device without a sound card: a private PulseAudio daemon (no systemd, no dbus)
# with null sinks, and ALSA PCMs over them so PortAudio (sounddevice) and baresip can use them.
#
#   scripts/live-audio.sh start [LINES]   start it with LINES line pairs (default 2); prints the env
#   scripts/live-audio.sh env             print the environment to use it:  eval "$(scripts/live-audio.sh env)"
#   scripts/live-audio.sh stop            stop the daemon and its keep-alive players
#   scripts/live-audio.sh status          exit 0 if the daemon runs
#
# Line N has two sinks: lineN_caller (what the caller says; the IVR listens on its monitor) and
# lineN_ivr (what the IVR says; the softphone or a test listens on its monitor). ALSA PCMs:
# lineN_caller (playback), lineN_caller_mon (capture), lineN_ivr (playback), lineN_ivr_mon (capture).
# A sink `alerts` takes softphones' ring tones.
set -euo pipefail

RT="${IVR_PULSE_DIR:-/tmp/ivr-pulse}"
export XDG_RUNTIME_DIR="$RT" PULSE_RUNTIME_PATH="$RT/pulse" PULSE_SERVER="unix:$RT/pulse/native"
export XDG_CONFIG_HOME="$RT/config" HOME="${HOME:-/root}"

print_env() {
  printf 'export XDG_RUNTIME_DIR=%q PULSE_RUNTIME_PATH=%q PULSE_SERVER=%q ALSA_CONFIG_PATH=%q\n' \
    "$RT" "$RT/pulse" "unix:$RT/pulse/native" "$RT/asound.conf"
}

running() { pactl info >/dev/null 2>&1; }

start() {
  local lines="${1:-2}"
  mkdir -p "$RT/pulse" "$XDG_CONFIG_HOME"
  chmod 700 "$RT"
  if ! running; then
    pulseaudio --daemonize=yes -n --exit-idle-time=-1 --disallow-exit=yes --use-pid-file=yes \
      --log-target=file:"$RT/pulse.log" \
      --load="module-native-protocol-unix auth-anonymous=1 socket=$RT/pulse/native" \
      --load="module-always-sink"
    for _ in $(seq 50); do running && break; sleep 0.1; done
    running || { echo "live-audio: PulseAudio did not start (see $RT/pulse.log)" >&2; exit 1; }
  fi
  # The system ALSA config plus our PCMs: keep the defaults so the pulse plugin is found.
  {
    echo '</usr/share/alsa/alsa.conf>'
    for n in $(seq "$lines"); do
      for side in caller ivr; do
        sink="line${n}_${side}"
        pactl list short sinks | grep -q "[[:space:]]$sink[[:space:]]" ||
          pactl load-module module-null-sink sink_name="$sink" rate=16000 channels=1 \
            sink_properties=device.description="$sink" >/dev/null
        printf 'pcm.%s { type pulse; device %s; hint { show on; description "%s (play)" } }\n' "$sink" "$sink" "$sink"
        printf 'pcm.%s_mon { type pulse; device %s.monitor; hint { show on; description "%s (listen)" } }\n' \
          "$sink" "$sink" "$sink"
        # Without a stream already playing, new capture streams on the monitor often lose their first ~2 s.
        if ! pgrep -f "pacat --playback --device=$sink " >/dev/null; then
          nohup pacat --playback --device="$sink" --latency-msec=10 --raw /dev/zero >/dev/null 2>&1 &
        fi
      done
    done
  } > "$RT/asound.conf"
  # Where softphones play their ring and alert tones, away from every line.
  pactl list short sinks | grep -q "[[:space:]]alerts[[:space:]]" ||
    pactl load-module module-null-sink sink_name=alerts rate=16000 channels=1 >/dev/null
  print_env
}

stop() {
  pkill -f "pacat --playback --device=line" 2>/dev/null || true
  running && pulseaudio --kill 2>/dev/null || true
}

case "${1:-start}" in
  start) shift || true; start "$@" ;;
  env) print_env ;;
  status) running ;;
  stop) stop ;;
  *) echo "usage: $0 start [LINES] | env | status | stop" >&2; exit 2 ;;
esac
