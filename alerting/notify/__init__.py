"""Alarm notifications with escalation (叫应): channels, routing, consolidation, escalation.

Pure logic (routing, escalation, consolidate, messages) is apart from I/O (channels,
notifier). The gateway builds one ``Notifier`` and feeds it every alarm event.
"""
