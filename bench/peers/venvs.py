"""One cached venv per peer extractor, installed from PyPI with pip.

Each peer lives in ``bench/peers/.venvs/<name>`` (gitignored). A venv is reused as long as
its stamp file holds the same pip requirements, so a rerun installs nothing; a changed
pin reinstalls that one venv only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

VENVS_DIR = Path(__file__).resolve().parent / ".venvs"
STAMP = ".peer-requirements"


def venv_dir(name: str) -> Path:
    return VENVS_DIR / name


def executable(name: str, command: str) -> Path:
    """The console script ``command`` of the venv of peer ``name``."""
    return venv_dir(name) / "bin" / command


def ensure_venv(name: str, requirements: list[str], python: str = sys.executable) -> Path:
    """The venv of ``name`` with ``requirements`` installed; installs only when they changed."""
    target = venv_dir(name)
    wanted = "\n".join(requirements) + "\n"
    stamp = target / STAMP
    if stamp.exists() and stamp.read_text() == wanted:
        return target
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(target)], check=True)
    subprocess.run(
        [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements],
        check=True,
    )
    stamp.write_text(wanted)
    return target
