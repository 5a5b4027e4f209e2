"""`ivr doctor`: every runtime piece the IVR and its tests use, checked for real, one line each.

Each check says what it found, or what is missing and how to install it. `scripts/test.sh` (and so CI)
runs it first and stops on anything missing: a fresh machine that lacks a piece fails loudly instead of
running calls into dead air.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BARESIP_MODULES = Path("/usr/lib/baresip/modules")
BARESIP_USED = ("g711", "aufile", "sndfile", "ctrl_tcp", "account", "menu", "alsa")
"""The baresip modules the SIP tests' caller loads (tests/sip: a phone calling `ivr serve`)."""
DISTRIBUTION = "hotline-ivr"
POSTGRES_BIN = Path("/usr/lib/postgresql")
SPEECH_DIRS = ("/usr/share/asterisk/sounds/en_US_f_Allison", "/usr/share/sounds/alsa")


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str
    files: tuple[str, ...] = ()
    """The system files the check found (for `--json`: which Debian package brought them)."""

    def line(self) -> str:
        return f"{'ok' if self.ok else 'MISSING':<8} {self.what:<30} {self.detail}"


Check = Callable[[], Finding]


def _apt(what: str, package: str) -> str:
    return f"install: apt-get install {package} (scripts/setup.sh does it)"


def _program(name: str, what: str, package: str) -> Check:
    def check() -> Finding:
        path = shutil.which(name)
        return Finding(path is not None, what, path or _apt(what, package), (path,) if path else ())

    return check


def espeak_voice() -> Finding:
    from ivr.adapters.espeak import EspeakSynthesizer
    from ivr.errors import IvrError

    try:
        x, rate = EspeakSynthesizer().render("您好", "cmn-latn-pinyin", 175)
    except IvrError as e:
        return Finding(False, "espeak-ng Mandarin voice", f"{e}; install: apt-get install espeak-ng")
    ok = len(x) > rate * 0.2
    files = tuple(str(p) for p in Path("/usr/lib").glob("*/espeak-ng-data/cmn_dict"))
    return Finding(ok, "espeak-ng Mandarin voice", f"cmn-latn-pinyin renders {len(x) / rate:.2f} s for 您好", files)


def vosk_model() -> Finding:
    from ivr.adapters.vosk import resolve_model_path
    from ivr.errors import IvrError

    try:
        path = resolve_model_path(None)
    except IvrError as e:
        return Finding(False, "Vosk model", str(e))
    return Finding(path is not None, "Vosk model", f"{path} (set IVR_VOSK_MODEL for a Mandarin model)")


def silero() -> Finding:
    from ivr.adapters.vad import silero_model_path
    from ivr.errors import IvrError

    try:
        return Finding(True, "Silero VAD model", str(silero_model_path()))
    except IvrError as e:
        return Finding(False, "Silero VAD model", str(e))


def smart_turn() -> Finding:
    from ivr.errors import IvrError
    from ivr.eval.smart_turn import model_files

    try:
        model, _ = model_files()
    except IvrError as e:
        return Finding(False, "Smart Turn model (benchmark)", str(e))
    return Finding(True, "Smart Turn model (benchmark)", str(model))


def portaudio() -> Finding:
    try:
        import sounddevice
    except OSError as e:
        return Finding(False, "PortAudio", f"{e}; install: apt-get install libportaudio2")
    files = tuple(str(p) for p in Path("/usr/lib").glob(f"*/{sounddevice._libname}"))
    return Finding(True, "PortAudio", f"sounddevice imports ({sounddevice._libname})", files)


def baresip_modules() -> Finding:
    missing = [m for m in BARESIP_USED if not (BARESIP_MODULES / f"{m}.so").is_file()]
    if missing:
        return Finding(
            False, "baresip modules", f"{', '.join(missing)} missing in {BARESIP_MODULES}; {_apt('', 'baresip')}"
        )
    files = tuple(str(BARESIP_MODULES / f"{m}.so") for m in BARESIP_USED)
    return Finding(True, "baresip modules", ", ".join(BARESIP_USED), files)


def postgres() -> Finding:
    found = sorted(POSTGRES_BIN.glob("*/bin/initdb"))
    if not found:
        return Finding(False, "PostgreSQL server", _apt("", "postgresql"))
    where = found[-1].parent
    files = (str(where / "initdb"), str(where / "pg_ctl"))
    return Finding(True, "PostgreSQL server", f"{where} (initdb, pg_ctl for the tests' private cluster)", files)


def cjk_font() -> Finding:
    font = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if not font.is_file():
        return Finding(False, "CJK font for diagrams", _apt("", "fonts-wqy-microhei"))
    return Finding(True, "CJK font for diagrams", str(font), (str(font),))


def recorded_speech() -> Finding:
    missing = [d for d in SPEECH_DIRS if not Path(d).is_dir()]
    if missing:
        return Finding(
            False, "recorded speech", f"{', '.join(missing)}; {_apt('', 'asterisk-core-sounds-en-wav alsa-utils')}"
        )
    files = tuple(str(next(Path(d).glob("*.wav"))) for d in SPEECH_DIRS)
    return Finding(True, "recorded speech", "asterisk-core-sounds, alsa-utils clips (tests, ivr eval)", files)


def python_packages() -> Finding:
    """Every dependency the project declares is installed, at a version it accepts."""
    from importlib import metadata

    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return Finding(False, "Python packages", f"{DISTRIBUTION} is not installed; run scripts/setup.sh")
    wanted = [r for r in declared if "extra ==" not in r]
    missing = []
    for requirement in wanted:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Finding(False, "Python packages", f"{', '.join(missing)} missing; run scripts/setup.sh")
    return Finding(True, "Python packages", f"the {len(wanted)} dependencies of {DISTRIBUTION}")


CHECKS: list[Check] = [
    espeak_voice,
    vosk_model,
    silero,
    smart_turn,
    python_packages,
    portaudio,
    _program("pulseaudio", "PulseAudio (sound-card tests)", "pulseaudio"),
    _program("pactl", "pactl", "pulseaudio-utils"),
    _program("baresip", "baresip (SIP test phone)", "baresip"),
    baresip_modules,
    _program("sipp", "SIPp", "sip-tester"),
    _program("kamailio", "Kamailio", "kamailio"),
    _program("tcpdump", "tcpdump (RTP timing)", "tcpdump"),
    _program("dot", "Graphviz", "graphviz"),
    cjk_font,
    _program("sox", "sox", "sox"),
    postgres,
    recorded_speech,
]


def doctor(args: argparse.Namespace) -> int:
    findings = [check() for check in CHECKS]
    missing = [f for f in findings if not f.ok]
    if args.json:
        for f in findings:
            print(json.dumps({"ok": f.ok, "what": f.what, "detail": f.detail, "files": list(f.files)}))
        return 1 if missing else 0
    for f in findings:
        print(f.line())
    if missing:
        print(f"{len(missing)} missing: run scripts/setup.sh (or the install lines above)")
        return 1
    print("everything the IVR and its tests use is here")
    return 0
