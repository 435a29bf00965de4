"""Identities kept as dfx keeps them: `<home>/identity/<name>/identity.pem`, files 0600.

The home is `$ICBOX_HOME` or `~/.config/icbox`; `identity.json` there names
the default identity. Two names are always known: `anonymous`, and `network`,
the identity `icbox up` wrote for the local network (the controller of its
big neuron), which is the default until another is chosen with `use`. A PEM
file is a PKCS#8 Ed25519 key (or a SEC1 secp256k1 key) that dfx reads too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nns.ledger.accounts import AccountIdentifier
from replica.agent.identity import AnonymousIdentity, EcdsaIdentity, Ed25519Identity, Identity
from tui.ops.errors import UsageError

ANONYMOUS: Final = "anonymous"
NETWORK: Final = "network"
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def icbox_home() -> Path:
    configured = os.environ.get("ICBOX_HOME")
    return Path(configured) if configured else Path.home() / ".config" / "icbox"


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityInfo:
    name: str
    principal: str
    account_id: str
    is_default: bool
    pem_path: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "principal": self.principal,
            "account_id": self.account_id,
            "default": self.is_default,
            "pem_path": self.pem_path,
        }


def identity_from_pem(pem: str, where: str = "the PEM") -> Identity:
    for kind in (Ed25519Identity, EcdsaIdentity):
        try:
            identity: Identity = kind.from_pem(pem)
            return identity
        except Exception:  # the next key kind is tried
            continue
    raise UsageError(f"{where} holds no Ed25519 or secp256k1 private key", kind="InvalidIdentity")


class IdentityStore:
    def __init__(self, home: Path | None = None, *, network_pem: Path | None = None) -> None:
        self.home = home or icbox_home()
        self.network_pem = network_pem

    @property
    def directory(self) -> Path:
        return self.home / "identity"

    def pem_path(self, name: str) -> Path:
        return self.directory / name / "identity.pem"

    def _check_name(self, name: str) -> None:
        if not NAME_PATTERN.match(name) or name in (ANONYMOUS, NETWORK):
            raise UsageError(
                f"{name!r} is not a name an identity can take "
                "(letters, digits, '.', '_', '-'; not 'anonymous' or 'network')"
            )

    def names(self) -> list[str]:
        stored = (
            sorted(p.parent.name for p in self.directory.glob("*/identity.pem"))
            if self.directory.exists()
            else []
        )
        extra = [NETWORK] if self.network_pem is not None and self.network_pem.exists() else []
        return [ANONYMOUS, *extra, *stored]

    def default_name(self) -> str:
        try:
            configured = json.loads((self.home / "identity.json").read_text()).get("default")
        except (OSError, ValueError):
            configured = None
        if isinstance(configured, str) and configured in self.names():
            return configured
        return NETWORK if NETWORK in self.names() else ANONYMOUS

    def load(self, name: str | None = None) -> Identity:
        chosen = name or self.default_name()
        if chosen == ANONYMOUS:
            return AnonymousIdentity()
        path = self._existing_pem(chosen)
        return identity_from_pem(path.read_text(), str(path))

    def _existing_pem(self, name: str) -> Path:
        if name == NETWORK:
            if self.network_pem is None or not self.network_pem.exists():
                raise UsageError(
                    "there is no local network here, so no 'network' identity (run `icbox up`)",
                    kind="UnknownIdentity",
                )
            return self.network_pem
        path = self.pem_path(name)
        if not NAME_PATTERN.match(name) or not path.exists():
            raise UsageError(
                f"no identity named {name!r} (see `icbox identity list`)", kind="UnknownIdentity"
            )
        return path

    def info(self, name: str | None = None) -> IdentityInfo:
        chosen = name or self.default_name()
        identity = self.load(chosen)
        return IdentityInfo(
            name=chosen,
            principal=identity.principal.to_text(),
            account_id=AccountIdentifier.of(identity.principal).to_hex(),
            is_default=chosen == self.default_name(),
            pem_path=None if chosen == ANONYMOUS else str(self._existing_pem(chosen)),
        )

    def list(self) -> list[IdentityInfo]:
        return [self.info(name) for name in self.names()]

    def _write(self, name: str, pem: str) -> Path:
        self._check_name(name)
        path = self.pem_path(name)
        if path.exists():
            raise UsageError(f"an identity named {name!r} exists already", kind="IdentityExists")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(pem)
        return path

    def new(self, name: str) -> IdentityInfo:
        self._write(name, Ed25519Identity.generate().to_pem())
        return self.info(name)

    def import_pem(self, name: str, pem: str) -> IdentityInfo:
        identity_from_pem(pem)
        self._write(name, pem)
        return self.info(name)

    def export_pem(self, name: str) -> str:
        if name == ANONYMOUS:
            raise UsageError("the anonymous identity has no key")
        return self._existing_pem(name).read_text()

    def use(self, name: str) -> IdentityInfo:
        if name not in self.names():
            raise UsageError(
                f"no identity named {name!r} (see `icbox identity list`)", kind="UnknownIdentity"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "identity.json").write_text(json.dumps({"default": name}))
        return self.info(name)

    def remove(self, name: str) -> None:
        self._check_name(name)
        if not self.pem_path(name).exists():
            raise UsageError(
                f"no identity named {name!r} (see `icbox identity list`)", kind="UnknownIdentity"
            )
        if self.default_name() == name:
            raise UsageError(
                f"{name!r} is the default identity; `icbox identity use` another one first",
                kind="IdentityInUse",
            )
        shutil.rmtree(self.pem_path(name).parent)
