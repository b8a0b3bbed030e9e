"""The ThingsBoard IoT Gateway in a venv of its own, in a cache folder outside the repository
and never in the project's venv. Its Modbus connector would pip-install the pymodbus it pins
at run time; installing it here keeps that out of the measured runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PEER_VERSION = "3.8.5"
# What thingsboard_gateway/connectors/modbus/modbus_connector.py 3.8.5 installs on first use.
PEER_EXTRAS = ("pymodbus==3.9.2", "pyserial", "pyserial-asyncio")


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hazgw-peers" / f"thingsboard-gateway-{PEER_VERSION}"


def ensure_peer(folder: Path | None = None) -> Path:
    """The venv holding thingsboard-gateway (created and filled on first use)."""
    venv = folder or default_cache()
    stamp = venv / ".installed"
    if stamp.exists():
        return venv
    print(f"installing thingsboard-gateway {PEER_VERSION} into {venv} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    subprocess.run([*pip, f"thingsboard-gateway=={PEER_VERSION}", *PEER_EXTRAS], check=True)
    stamp.write_text(PEER_VERSION + "\n")
    return venv


if __name__ == "__main__":
    print(ensure_peer())
