"""A fresh clone set up by `scripts/setup.sh` alone has everything it uses.

The clone is the working tree's files as git would commit them (tracked and new, nothing ignored), so a
module left out of git or a dependency left out of pyproject.toml fails here, not on a user's machine. The
machine's own installs are still present, so the test also asks dpkg which package brought every system
file `ivr doctor` relies on, and requires that package to be one setup.sh installs (or one of their
direct dependencies): baresip's PulseAudio module once came from a package nobody installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ivr.clock import run_process
from ivr.paths import ROOT


def _setup_packages() -> set[str]:
    text = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    block = re.search(r"APT_PACKAGES=\((.*?)\)", text, re.S)
    assert block is not None, "scripts/setup.sh has no APT_PACKAGES=(...)"
    return set(block.group(1).split())


def _direct_dependencies(packages: set[str]) -> set[str]:
    out = run_process(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}\n", *sorted(packages)], 60,
                      capture_output=True, text=True, check=True)  # fmt: skip
    names = re.findall(r"(?:^|[,|]\s*)([a-z0-9][a-z0-9.+-]+)", out.stdout, re.M)
    return {n.split(":")[0] for n in names}


def _owner(path: str) -> str:
    out = run_process(["dpkg", "-S", str(Path(path).resolve())], 60, capture_output=True, text=True)
    assert out.returncode == 0, f"{path}: no Debian package owns it ({out.stderr.strip()})"
    return out.stdout.split(":", 1)[0].split(",")[0].strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fresh") / "ivr"
    files = run_process(["git", "ls-files", "-co", "--exclude-standard", "-z"], 60, cwd=ROOT,
                        capture_output=True, check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name, follow_symlinks=False)
        elif source.is_symlink():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).symlink_to(source.readlink())
    out = run_process(["bash", "scripts/setup.sh"], 900, cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return root


def test_doctor_passes_after_setup_alone(clone: Path) -> None:
    out = run_process([str(clone / ".venv/bin/ivr"), "doctor"], 120, cwd=clone, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MISSING" not in out.stdout and "everything the IVR and its tests use is here" in out.stdout


def test_every_module_imports_in_the_fresh_environment(clone: Path) -> None:
    probe = (
        "import importlib, pkgutil, ivr\n"
        f"assert ivr.__file__.startswith({str(clone)!r}), ivr.__file__\n"
        "for m in pkgutil.walk_packages(ivr.__path__, 'ivr.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    out = run_process([str(clone / ".venv/bin/python"), "-c", probe], 300, cwd=clone, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]


def test_every_system_file_the_doctor_uses_comes_from_a_package_setup_installs(clone: Path) -> None:
    out = run_process([str(clone / ".venv/bin/ivr"), "doctor", "--json"], 120, cwd=clone,
                      capture_output=True, text=True)  # fmt: skip
    findings = [json.loads(line) for line in out.stdout.splitlines()]
    files = [f for finding in findings for f in finding["files"]]
    assert len(files) >= 15, findings  # programs, baresip modules, PostgreSQL, fonts, speech, espeak data
    installed = _setup_packages()
    allowed = installed | _direct_dependencies(installed)
    strays = {f: owner for f in files if (owner := _owner(f)) not in allowed}
    assert strays == {}, "files from packages scripts/setup.sh does not install"


def test_the_default_call_runs_in_the_fresh_clone(clone: Path) -> None:
    out = run_process(["bash", "scripts/demo.sh"], 300, cwd=clone, capture_output=True, text=True,
                      stdin=subprocess.DEVNULL)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "SIL-1" in out.stdout and "hangup" in out.stdout
