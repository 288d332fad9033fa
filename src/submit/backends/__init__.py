"""Backends: check offline, submit, track. SDKs are imported inside functions."""
