"""A private PostgreSQL cluster from Debian's package, started for the tests and stopped after (no mock)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ivr.clock import run_process

BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str], seconds: float = 60) -> subprocess.CompletedProcess[str]:
    user = pwd.getpwnam("postgres")
    return run_process(
        args,
        seconds,
        capture_output=True,
        text=True,
        user=user.pw_uid,
        group=user.pw_gid,
        env={"PATH": "/usr/bin:/bin"},
    )


@contextmanager
def cluster() -> Iterator[str]:
    """A running cluster on a unix socket and a fresh database; yields its postgresql:// URL."""
    assert BIN, "PostgreSQL is not installed (scripts/setup.sh installs the postgresql package)"
    bindir = BIN[-1]
    root = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
    os.chmod(root, 0o755)
    shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    port = _free_port()
    done = _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"], 120)
    assert done.returncode == 0, done.stderr
    options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=on"
    started = _as_postgres(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
    )
    assert started.returncode == 0, started.stderr + (root / "log").read_text()
    try:
        made = _as_postgres(
            [str(bindir / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE ivr"]
        )
        assert made.returncode == 0, made.stderr
        yield f"postgresql://postgres@/ivr?host={root}&port={port}"
    finally:
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)
