"""DKG dealings: made by the dealers of an interval, supported by their receivers, carried in
blocks, combined in summaries.

When a summary block is finalized, each dealer of its configs deals: for the
low-threshold key a fresh random polynomial, for the high-threshold key its
current share of the key being reshared. Dealings are gossiped; every replica
checks each dealing's public part against its config before accepting a
block. The next summary block turns the dealings on chain into transcripts
(spec D.3), and each receiver decrypts its own share from a transcript once it
is needed.

Dealing support. A dealing's public part says nothing about its encrypted
shares (there is no proof that they match the commitments, see
`replica.crypto.dkg`), so a Byzantine dealer could encrypt garbage for some
receivers; once such a dealing is in a transcript those receivers have no share
of the new key, since a combined share needs a valid share of every included
dealing. As in the IC's interactive DKG, a receiver that decrypted its share
and checked it against the commitments signs a *support share*: a committee
multi-signature share on `dealing_support_message` (the DKG id and the
dealing's hash). A receiver whose share is bad signs nothing. A block may
include a dealing only together with a *support proof* in the same block: the
aggregate of the support shares of at least

    support threshold = n − f

distinct receivers of the config (`membership.compute_support_threshold`,
n = receivers, f = (n − 1) // 3); validators refuse a block with a dealing
without one, a proof without its dealing, or a proof that does not verify.

Why this bound (t is the config's threshold):
- Liveness: the n − f honest receivers all support an honest dealing, so no
  bound above n − f is always reached without the f faulty ones, and n − f is.
- At most f receivers lack a checked share of an included dealing, so a
  dealer that cheats more than f receivers never gets its dealing on chain;
  this is what the simulator's `bad-dealing` behaviour does, and every honest
  replica keeps a share of every new key.
- At least n − 2f supporters are honest and hold a checked share. For the
  low-threshold key (t = f + 1) that is at least t + f supporters and t honest
  holders, the bound the IC's interactive DKG asks for. For the high-threshold
  key (t = committee size − f = 2f + 1), t + f = 3f + 1 is within reach only
  when n ≥ 4f + 1 (for f ≥ 1: n = 5, 6 or 9); at every other size, n = 3f + 1
  among them, asking for t + f would stall as soon as f receivers are silent,
  so n − f is the most the rule can ask, and it guarantees n − 2f honest
  holders (f + 1 at n = 3f + 1), fewer than t.

What the rule does not give: a Byzantine dealer that cheats at most f honest
receivers and is supported by the f faulty ones still gets its dealing
included, and those honest receivers then hold no share of the new key (nor,
for a fresh key, of any key it is summed into). For the high-threshold key at
n = 3f + 1, whose threshold is every honest member when f are faulty, signing
then depends on faulty members; for the low-threshold key, several such
dealers cheating different honest receivers can leave fewer than f + 1 honest
holders once f ≥ 2. Closing that needs the second step of the IC's
interactive DKG: a receiver with a bad share complains, the dealer justifies
by revealing that share (checked against the commitments; it only reveals
what the complainer already has), and the summary leaves out dealings with an
unanswered complaint on chain. That needs complaint and justification windows
of several heights each inside an interval, which the test preset's five-height
intervals do not leave, so it is not done here.

Remote dealings. A remote DKG (`replica.consensus.remote_dkg`) deals the
initial keys of a subnet being created: this subnet's members deal, the new
subnet's nodes receive. Those receivers run no replica of this subnet, so they
cannot sign support shares; a remote dealing enters a block without a support
proof (and a proof beside one is refused), its public part checked like any
other. The IC closes that gap with the NI-DKG's proof that the ciphertexts
match the commitments; here a remote dealing that encrypts a bad share is found
only by its receiver, when it computes its share of the transcript
(`replica.crypto.dkg.compute_secret_share` names the dealer), and that receiver
then holds no share of the new subnet's keys.

Transcripts go into summary blocks as `KeyTranscript` records whose body is
the crypto layer's canonical transcript bytes; the crypto layer's configs and
transcripts are rebuilt from the records on demand (and kept in caches:
building a transcript is the same pure function on every replica).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Final

from replica.consensus.artifacts import (
    Block,
    DataPayload,
    DealingSupport,
    DealingSupportShare,
    DkgConfigRecord,
    DkgSummary,
    KeyTranscript,
    SignedDealing,
    compute_dealing_hash,
    dealing_message,
    dealing_support_message,
)
from replica.consensus.chain import ChainState
from replica.consensus.dkg_payload import get_resharing_transcript
from replica.consensus.membership import compute_support_threshold
from replica.crypto import dkg
from replica.crypto.errors import CryptoError
from replica.crypto.initial_shares import NodeInitialShares, compute_initial_secret_share
from replica.crypto.keys import NodeSecretKeys, verify_node_signature
from replica.crypto.threshold import PublicCoefficients
from replica.types import Principal

DealingKey = tuple[int, str, Principal]
"""(start height, config tag, dealer): at most one dealing of each on a chain."""


def compute_config_tag(tag: str, target: bytes) -> str:
    """The tag that tells a summary's configs apart: the key's tag, and a remote DKG's target."""
    return f"{tag}:{target.hex()}" if target else tag


def get_tag_of_config_tag(config_tag: str) -> dkg.DkgTag:
    """The key's tag ('low' or 'high') of a config tag."""
    return "low" if config_tag.split(":", 1)[0] == "low" else "high"


_TRANSCRIPT_CACHE: Final = 64


def to_crypto_transcript(subnet_id: Principal, transcript: KeyTranscript) -> dkg.Transcript:
    if transcript.body:
        return _decode_transcript(transcript.body)
    return dkg.Transcript(
        dkg_id=dkg.DkgId(
            subnet_id=subnet_id, start_height=transcript.dkg_start_height, tag=transcript.tag
        ),
        threshold=transcript.threshold,
        committee=transcript.committee,
        coefficients=PublicCoefficients(commitments=transcript.commitments),
        registry_version=transcript.registry_version,
    )


@lru_cache(maxsize=_TRANSCRIPT_CACHE)
def _decode_transcript(body: bytes) -> dkg.Transcript:
    return dkg.Transcript.from_bytes(body)


def to_crypto_config(
    subnet_id: Principal, config: DkgConfigRecord, resharing: KeyTranscript | None
) -> dkg.DkgConfig:
    return dkg.DkgConfig(
        dkg_id=dkg.DkgId(
            subnet_id=subnet_id,
            start_height=config.start_height,
            tag=config.tag,
            target=config.target,
        ),
        dealers=config.dealers,
        receivers=config.receivers,
        threshold=config.threshold,
        resharing=to_crypto_transcript(subnet_id, resharing) if resharing is not None else None,
        registry_version=config.registry_version,
    )


def get_config_resharing(summary: DkgSummary, config: DkgConfigRecord) -> KeyTranscript | None:
    return get_resharing_transcript(summary) if config.resharing else None


def get_support_threshold(config: DkgConfigRecord) -> int:
    return compute_support_threshold(len(config.receivers))


def get_config_of(summary: DkgSummary, dealing: dkg.Dealing) -> DkgConfigRecord | None:
    return next(
        (
            c
            for c in summary.configs
            if c.tag == dealing.dkg_id.tag
            and c.start_height == dealing.dkg_id.start_height
            and c.target == dealing.dkg_id.target
        ),
        None,
    )


def get_collection_threshold(summary: DkgSummary, config: DkgConfigRecord) -> int:
    """How many dealings make the config's transcript (`replica.crypto.dkg.DkgConfig`)."""
    resharing = get_config_resharing(summary, config)
    if resharing is not None:
        return resharing.threshold
    return (len(config.dealers) - 1) // 3 + 1


@lru_cache(maxsize=1024)
def decode_dealing(data: bytes) -> dkg.Dealing | None:
    try:
        return dkg.Dealing.from_bytes(data)
    except (CryptoError, ValueError):
        return None


def dealing_key(dealing: dkg.Dealing) -> DealingKey:
    dkg_id = dealing.dkg_id
    return (dkg_id.start_height, compute_config_tag(dkg_id.tag, dkg_id.target), dealing.dealer)


def config_key(config: DkgConfigRecord) -> tuple[int, str]:
    return (config.start_height, compute_config_tag(config.tag, config.target))


def build_transcript(
    subnet_id: Principal,
    config: DkgConfigRecord,
    resharing: KeyTranscript | None,
    dealings: Sequence[bytes],
) -> KeyTranscript | None:
    """The transcript of `config` from the dealings on chain, or None if there are too few."""
    mine = []
    for data in dealings:
        dealing = decode_dealing(data)
        if (
            dealing is not None
            and dealing.dkg_id.start_height == config.start_height
            and dealing.dkg_id.tag == config.tag
            and dealing.dkg_id.target == config.target
        ):
            mine.append(data)
    return _build_transcript(subnet_id, config, resharing, tuple(mine))


@lru_cache(maxsize=_TRANSCRIPT_CACHE)
def _build_transcript(
    subnet_id: Principal,
    config: DkgConfigRecord,
    resharing: KeyTranscript | None,
    dealings: tuple[bytes, ...],
) -> KeyTranscript | None:
    decoded = [d for d in (decode_dealing(data) for data in dealings) if d is not None]
    try:
        crypto_config = to_crypto_config(subnet_id, config, resharing)
        if len({d.dealer for d in decoded}) < crypto_config.collection_threshold:
            return None
        transcript = dkg.create_transcript(crypto_config, decoded)
    except CryptoError:
        return None
    return KeyTranscript(
        tag=config.tag,
        dkg_start_height=config.start_height,
        registry_version=config.registry_version,
        committee=transcript.committee,
        threshold=transcript.threshold,
        commitments=transcript.coefficients.commitments,
        body=transcript.to_bytes(),
    )


def compute_dkg_secret_share(
    subnet_id: Principal, transcript: KeyTranscript, node: Principal, x25519_private: bytes
) -> int | None:
    try:
        return dkg.compute_secret_share(
            to_crypto_transcript(subnet_id, transcript), node, x25519_private
        )
    except CryptoError:
        return None


def compute_initial_share(
    subnet_id: Principal,
    transcript: KeyTranscript,
    shares: NodeInitialShares,
    x25519_private: bytes,
) -> int | None:
    """This node's share of an initial transcript (no body: from the registry's CUP contents),
    decrypted from the shares the initial DKG dealt it; None if it holds no valid share."""
    try:
        return compute_initial_secret_share(
            shares, to_crypto_transcript(subnet_id, transcript), x25519_private
        )
    except CryptoError:
        return None


def compute_dealing_seed(keys: NodeSecretKeys) -> bytes:
    """The seed of a node's dealings (its randomness comes from its own secret key)."""
    return hashlib.sha256(
        b"icbox-node-dealing-seed" + keys.committee_secret.to_bytes(32, "big")
    ).digest()


def compute_dkg_seed(seed: bytes) -> bytes:
    """The seed `make_dealings` hands the crypto layer for a node's dealing seed."""
    return hashlib.sha256(b"icbox-dealing-seed" + seed).digest()


def make_dealings(
    *,
    subnet_id: Principal,
    summary: DkgSummary,
    keys: NodeSecretKeys,
    seed: bytes,
    get_secret_share: Callable[[KeyTranscript], int | None],
    get_dealing_key: Callable[[Principal, int], bytes | None],
) -> list[SignedDealing]:
    """This node's signed dealings for the configs of `summary` (empty where it is no dealer)."""
    dealer = keys.node_id
    out: list[SignedDealing] = []
    for config in summary.configs:
        if dealer not in config.dealers:
            continue
        resharing = get_config_resharing(summary, config)
        secret = None
        if resharing is not None:
            secret = get_secret_share(resharing)
            if secret is None:
                continue
        receiver_keys = {r: get_dealing_key(r, config.registry_version) for r in config.receivers}
        if any(k is None for k in receiver_keys.values()):
            continue
        try:
            dealing = dkg.create_dealing(
                to_crypto_config(subnet_id, config, resharing),
                dealer,
                secret,
                compute_dkg_seed(seed),
                {r: k for r, k in receiver_keys.items() if k is not None},
            )
        except CryptoError:
            continue
        data = dealing.to_bytes()
        out.append(
            SignedDealing(dealer=dealer, dealing=data, signature=keys.sign(dealing_message(data)))
        )
    return out


def make_support_share(
    *, subnet_id: Principal, summary: DkgSummary, signed: SignedDealing, keys: NodeSecretKeys
) -> DealingSupportShare | None:
    """This receiver's support of a (valid) dealing, if its share decrypts and matches the
    commitments."""
    dealing = decode_dealing(signed.dealing)
    if dealing is None:
        return None
    config = get_config_of(summary, dealing)
    if config is None or keys.node_id not in config.receivers:
        return None
    try:
        crypto_config = to_crypto_config(subnet_id, config, get_config_resharing(summary, config))
        dkg.decrypt_share(crypto_config, dealing, keys.node_id, keys.dealing_private_key)
    except CryptoError:
        return None  # a bad share: this receiver does not support the dealing
    dealing_hash = compute_dealing_hash(signed.dealing)
    message = dealing_support_message(subnet_id, config.start_height, config.tag, dealing_hash)
    return DealingSupportShare(
        height=config.start_height,
        tag=config.tag,
        dealer=dealing.dealer,
        dealing_hash=dealing_hash,
        signer=keys.node_id,
        signature=keys.sign_committee(message),
    )


def get_dealing_keys_on_chain(chain: ChainState, blocks: Iterable[Block]) -> set[DealingKey]:
    seen: set[DealingKey] = set()
    for block in blocks:
        payload = block.payload
        if isinstance(payload, DataPayload):
            for signed in payload.dealings:
                dealing = decode_dealing(signed.dealing)
                if dealing is not None:
                    seen.add(dealing_key(dealing))
    return seen


SigningKeyOf = Callable[[Principal, int], bytes | None]
"""A node's signing key (DER) at a registry version."""

VerifyMultisignature = Callable[[tuple[Principal, ...], int, bytes, bytes], bool]
"""Whether (signers, registry version, message, signature) is a valid committee multi-signature."""

SupportOf = Callable[[DkgConfigRecord, SignedDealing], DealingSupport | None]
"""A support proof for a pooled dealing, if enough support shares are at hand."""


class DealingChecker:
    """Checks dealings against the configs of the summary on their chain (with a cache).

    A dealing is valid for a summary if it is signed by the dealer it names (its
    node signing key at the config's registry version), that dealer deals in one
    of the summary's configs, and its public part verifies for that config. A
    support proof is valid for a dealing if its signers are distinct receivers of
    the config, at least the support threshold of them, and its multi-signature
    verifies under their committee keys at the config's registry version.
    """

    def __init__(
        self,
        subnet_id: Principal,
        get_signing_key: SigningKeyOf,
        verify_multisignature: VerifyMultisignature,
    ) -> None:
        self.subnet_id = subnet_id
        self.get_signing_key = get_signing_key
        self.verify_multisignature = verify_multisignature
        self._valid: dict[tuple[bytes, int], bool] = {}
        self._valid_supports: dict[tuple[bytes, bytes, int], bool] = {}

    def is_valid(self, summary: DkgSummary, signed: SignedDealing) -> bool:
        cache_key = (
            hashlib.sha256(signed.dealing + signed.signature + signed.dealer.raw).digest(),
            summary.height,
        )
        known = self._valid.get(cache_key)
        if known is not None:
            return known
        valid = self._check(summary, signed)
        self._valid[cache_key] = valid
        if len(self._valid) > 4096:
            self._valid.clear()
        return valid

    def _check(self, summary: DkgSummary, signed: SignedDealing) -> bool:
        dealing = decode_dealing(signed.dealing)
        if dealing is None or dealing.dealer != signed.dealer:
            return False
        config = get_config_of(summary, dealing)
        if config is None or dealing.dkg_id.subnet_id != self.subnet_id:
            return False
        key = self.get_signing_key(signed.dealer, config.registry_version)
        if key is None or not verify_node_signature(
            key, dealing_message(signed.dealing), signed.signature
        ):
            return False
        try:
            dkg.verify_dealing(
                to_crypto_config(self.subnet_id, config, get_config_resharing(summary, config)),
                dealing,
            )
        except CryptoError:
            return False
        return True

    def is_valid_support(
        self, summary: DkgSummary, signed: SignedDealing, support: DealingSupport
    ) -> bool:
        """Whether `support` is a valid support proof of the (valid) dealing `signed`."""
        cache_key = (
            compute_dealing_hash(signed.dealing),
            hashlib.sha256(support.signature + b"".join(s.raw for s in support.signers)).digest(),
            summary.height,
        )
        known = self._valid_supports.get(cache_key)
        if known is None:
            known = self._valid_supports[cache_key] = self._check_support(summary, signed, support)
            if len(self._valid_supports) > 4096:
                self._valid_supports.clear()
        return known

    def _check_support(
        self, summary: DkgSummary, signed: SignedDealing, support: DealingSupport
    ) -> bool:
        dealing = decode_dealing(signed.dealing)
        config = None if dealing is None else get_config_of(summary, dealing)
        if config is None or support.dealing_hash != compute_dealing_hash(signed.dealing):
            return False
        signers = support.signers
        if len(set(signers)) != len(signers) or len(signers) < get_support_threshold(config):
            return False
        if any(signer not in config.receivers for signer in signers):
            return False
        message = dealing_support_message(
            self.subnet_id, config.start_height, config.tag, support.dealing_hash
        )
        return self.verify_multisignature(
            signers, config.registry_version, message, support.signature
        )

    def check_payload(
        self,
        summary: DkgSummary,
        on_chain: set[DealingKey],
        dealings: Sequence[SignedDealing],
        supports: Sequence[DealingSupport] = (),
    ) -> str | None:
        """Why the dealings of a block (and their support proofs) are refused, or None."""
        proofs = {support.dealing_hash: support for support in supports}
        if len(proofs) != len(supports):
            return "a dealing has two support proofs"
        seen = set(on_chain)
        for signed in dealings:
            dealing = decode_dealing(signed.dealing)
            if dealing is None or not self.is_valid(summary, signed):
                return "an invalid dealing"
            key = dealing_key(dealing)
            if key in seen:
                return "a dealing already on the chain"
            seen.add(key)
            support = proofs.pop(compute_dealing_hash(signed.dealing), None)
            if dealing.dkg_id.target:
                # A remote DKG's receivers are not on this subnet: nobody here can support it.
                if support is not None:
                    return "a support proof of a remote dealing"
                continue
            if support is None:
                return "a dealing without a support proof"
            if not self.is_valid_support(summary, signed, support):
                return "an invalid support proof"
        if proofs:
            return "a support proof without its dealing"
        return None

    def select(
        self,
        summary: DkgSummary,
        on_chain: set[DealingKey],
        pool: Mapping[DealingKey, Sequence[SignedDealing]],
        limit: int,
        get_support: SupportOf,
    ) -> tuple[tuple[SignedDealing, ...], tuple[DealingSupport, ...]]:
        """Valid, supported pooled dealings the chain still needs (one per dealer and config), at
        most `limit`, with their support proofs; a remote DKG's first."""
        counts: dict[tuple[int, str], int] = {}
        for start, tag, _ in on_chain:
            counts[(start, tag)] = counts.get((start, tag), 0) + 1
        needed = {config_key(c): get_collection_threshold(summary, c) for c in summary.configs}
        configs = {config_key(c): c for c in summary.configs}
        chosen: list[SignedDealing] = []
        proofs: list[DealingSupport] = []
        # A remote DKG's dealings first: a call waits for its transcripts (which a data block
        # carries as soon as the dealings on chain make them), the subnet's own keys are due only
        # at the next summary.
        for key in sorted(pool, key=lambda k: (k[0], ":" not in k[1], k[1], k[2].raw)):
            wanted = (key[0], key[1])
            if len(chosen) >= limit:
                break
            if key in on_chain or wanted not in needed or counts.get(wanted, 0) >= needed[wanted]:
                continue
            for signed in pool[key]:
                if not self.is_valid(summary, signed):
                    continue
                config = configs[wanted]
                if config.target:
                    chosen.append(signed)
                    counts[wanted] = counts.get(wanted, 0) + 1
                    break
                support = get_support(config, signed)
                if support is not None:
                    chosen.append(signed)
                    proofs.append(support)
                    counts[wanted] = counts.get(wanted, 0) + 1
                    break
        return tuple(chosen), tuple(proofs)
