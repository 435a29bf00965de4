"""Why the registry refuses a batch or a request."""

from __future__ import annotations

from replica.canister.errors import CanisterError


class RegistryError(CanisterError):
    """Base of every registry refusal."""


class KeyAlreadyPresent(RegistryError):
    def __init__(self, key: str) -> None:
        super().__init__(f"KEY_ALREADY_PRESENT: {key}")
        self.key = key


class KeyNotPresent(RegistryError):
    def __init__(self, key: str, version: int | None = None) -> None:
        at = "" if version is None else f" at version {version}"
        super().__init__(f"KEY_NOT_PRESENT: {key}{at}")
        self.key = key
        self.version = version


class PreconditionFailed(RegistryError):
    def __init__(self, key: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"VERSION_NOT_LATEST: {key} was last changed at version {actual_version}, "
            f"not {expected_version}"
        )


class InvariantViolation(RegistryError):
    """A batch would break a global invariant; it is refused whole."""

    def __init__(self, invariant: str, key: str, message: str) -> None:
        super().__init__(f"invariant '{invariant}' violated at {key}: {message}")
        self.invariant = invariant
        self.key = key


class InvalidPayload(RegistryError):
    """A request that is malformed or does not fit the current registry."""


class Unauthorized(RegistryError):
    pass
