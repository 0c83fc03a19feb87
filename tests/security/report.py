"""Figures the security tests report at the end of the run (conftest.py prints them)."""

SUMMARY: list[str] = []
