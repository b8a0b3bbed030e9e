"""Helpers shared by tests of every floor (tests/ is on sys.path via tests/conftest.py)."""
