"""Backends: one package each behind the contract of base.py, named in registry.py. SDKs are imported inside
functions."""
