"""The state folder (alarm journal, users, sessions, audit log): private to the gateway.

It holds password hashes, session digests and who did what: 0700 for the folder, 0600 for
its databases (``alerting.sqlite.open_database`` creates them so). A folder made by hand
with wider rights is narrowed, and the log says so: anyone on the machine could otherwise
copy the user database and guess at its hashes offline.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from dashboard.auth import AuthService, StoreError

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700


def prepare_state_dir(path: Path) -> None:
    """Create ``path`` (and parents) 0700, or narrow an existing one to 0700.
    Raises OSError (naming the folder) when neither works."""
    if not path.exists():
        path.mkdir(mode=FOLDER_MODE, parents=True)
        path.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask; be exact
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(FOLDER_MODE)
        log.warning("state folder %s was readable by others (%o): narrowed to 700", path, mode)


def first_run_hint(state_dir: Path) -> None:
    """Nobody can sign in without a user: say how to make the first admin (``hazgw run``
    only: the demo makes its own users)."""
    try:
        prepare_state_dir(state_dir)
        auth = AuthService.open(state_dir)
    except (OSError, StoreError) as error:
        log.error("state folder %s: %s", state_dir, error)  # the gateway reports it too
        return
    try:
        if auth.users():
            return
    finally:
        auth.close()
    log.warning(
        "no users yet: nobody can sign in to the dashboard. Create the first admin with:  "
        "hazgw user add <name> --role admin --state-dir %s", state_dir,
    )
