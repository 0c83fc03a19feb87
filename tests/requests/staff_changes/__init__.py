"""Notices of starters, leavers and temporary workers, and IT's checklist: the services."""
