"""The one validator: every check of every floor over a site or gateway file.

``hazgw check-config``, ``hazgw run`` and a live reload all load through here, so that
check-config refuses everything the running gateway would.
"""

from __future__ import annotations

from pathlib import Path

from alerting.setpoints import check_alarm_rules
from config import loader
from config.loader import LoadedGateway, SiteCheck
from config.site import Site

SITE_CHECKS: tuple[SiteCheck, ...] = (check_alarm_rules,)


def load_site(path: Path) -> Site:
    return loader.load_site(path, SITE_CHECKS)


def load_gateway(path: Path) -> LoadedGateway:
    return loader.load_gateway(path, SITE_CHECKS)
