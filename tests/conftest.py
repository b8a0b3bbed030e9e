"""Shared test set-up: quiet the libraries that log frame dumps on purpose-made errors."""

import logging

import pytest


@pytest.fixture(autouse=True)
def _quiet_libraries() -> None:
    for name in ("pymodbus", "amqtt", "transitions", "aiosmtpd", "mail.log"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
