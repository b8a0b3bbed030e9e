"""Who a channel reaches, in words for the 叫应 ledger: never a robot key or a password."""

from __future__ import annotations

from urllib.parse import urlsplit

from config.notifications import (
    ChannelSettings,
    DingTalkChannel,
    EmailChannel,
    WebhookChannel,
    WeComChannel,
)


def recipient_of(settings: ChannelSettings) -> str:
    """Mail addresses; a robot's group (and the mobiles it @s); a webhook's host. A robot
    URL's query holds its key, and a webhook's path may hold a token: neither is named."""
    if isinstance(settings, EmailChannel):
        return ", ".join(settings.to)
    if isinstance(settings, WeComChannel):
        mobiles = settings.mentioned_mobiles
        return "企业微信群" + (f" @{' @'.join(mobiles)}" if mobiles else "")
    if isinstance(settings, DingTalkChannel):
        mobiles = ["所有人"] if settings.at_all else settings.at_mobiles
        return "钉钉群" + (f" @{' @'.join(mobiles)}" if mobiles else "")
    assert isinstance(settings, WebhookChannel)
    parts = urlsplit(settings.url)
    return f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
