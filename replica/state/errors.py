"""Errors of the state package."""

from __future__ import annotations


class StateError(Exception):
    """The state manager refused a request: an unknown height, a bad checkpoint or chunk."""


class CertificationMismatch(StateError):
    """A certification names a root hash other than this replica's at that height."""


class CheckpointError(StateError):
    """A checkpoint directory is missing, incomplete or does not match its manifest."""
