"""Strict settings models: the shared parts once, one model per job kind, one submission model (and, in fields.py,
every setting's declaration). Importing this package imports no pydantic: fields.py is plain data."""
