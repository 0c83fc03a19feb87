"""Hypothesis types into every form, through the real pages, as the person the form is for.

Each test sends at least 200 examples (the "portal" profile in conftest.py): plausible values,
junk, and the classics (NUL bytes, huge numbers, impossible dates, markup, very long text).
Every answer keeps the rule in fuzzing.py: no server error, and the step either happened
completely or changed nothing.
"""
