"""Renderers: pure functions from typed settings to job-spec dicts (no I/O, no environment, no clock)."""
