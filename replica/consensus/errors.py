"""Errors of the consensus package."""

from __future__ import annotations


class ConsensusError(Exception):
    """Base of the consensus package's errors."""


class NotAMember(ConsensusError):
    """The node is not (or no longer) a member of the subnet."""
