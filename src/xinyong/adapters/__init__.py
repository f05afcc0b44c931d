"""Adapters: everything that touches the outside world (the record store, files, the CLI).

The pure rules live in :mod:`xinyong.core`; adapters feed them records and present results.
"""
