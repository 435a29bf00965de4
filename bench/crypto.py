"""The replica's cryptography, per operation, at subnet sizes n = 4, 13 and 40.

Prints, in milliseconds (median over a few samples of this process's CPU time,
one thread, so that other work on a shared machine does not inflate them):

- BLS: sign, verify without any memo (every cache of the crypto layer is
  emptied before each sample, untimed: hashing to G1, point decoding with its
  subgroup checks, share keys, the verification memo: the first verify under a
  key), verify of a new message under a key already decoded (what a replica in
  its own process pays per artifact), the same verify again through the memo,
  hash to G1;
- threshold, with t = n − f: sign one share, combine t shares, verify the
  group signature once (the IC's combine-first path), one replica's whole
  round timed as one (sign its share, combine it with t − 1 received shares,
  verify the result; per-message memos empty, per-key ones warm), and the
  fallback that verifies every share;
- multi-signature: aggregate n − f signatures and verify the aggregate;
- DKG (high threshold, resharing to the same committee): create one dealing,
  verify one dealing, build the transcript, one receiver's secret share;

and, as the baseline in the same run, the py-ecc reference's verify of one
signature and the facade's verify of the very same key, message and signature
from empty caches (like by like), and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from registry.dkg import SeededInitialDkg
from replica.crypto import bls, multisig, threshold
from replica.crypto.dkg import (
    DkgConfig,
    DkgId,
    Transcript,
    compute_secret_share,
    create_dealing,
    create_transcript,
    verify_dealing,
)
from replica.crypto.initial_shares import NodeInitialShares, compute_initial_secret_share
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal

SEED = b"bench-crypto"


def median_ms(
    action: Callable[[int], object], samples: int, *, before: Callable[[], object] | None = None
) -> float:
    """The median CPU time of `action(sample)`; `before()` runs untimed ahead of each sample."""
    times = []
    for sample in range(samples):
        if before is not None:
            before()
        began = time.process_time()
        action(sample)
        times.append(time.process_time() - began)
    return statistics.median(times) * 1_000


def cold_messages(*known_keys: bytes) -> None:
    """Every memo of the crypto layer emptied, then the given public keys decoded again: the
    state of a replica that has used these keys before but sees each message for the first time."""
    threshold.clear_caches()
    for key in known_keys:
        bls.decode_g2(key)


def measure(nodes: int, samples: int) -> dict[str, float]:
    f = (nodes - 1) // 3
    t = nodes - f
    keys = [NodeSecretKeys.from_seed(SEED, index) for index in range(nodes)]
    members = tuple(key.node_id for key in keys)
    initial = SeededInitialDkg(SEED)
    result = initial.setup_initial_dkg(members, 0)
    subnet = Principal.self_authenticating(b"bench-subnet")
    transcript = Transcript.from_initial(result.high_threshold, subnet_id=subnet, tag="high")
    dealt = initial.deal_shares(
        transcript.dkg_id,
        result.high_threshold,
        {key.node_id: key.dealing_public_key for key in keys},
    )
    shares = [
        compute_initial_secret_share(
            NodeInitialShares(node_id=key.node_id, shares=(dealt[key.node_id],)),
            transcript,
            key.dealing_private_key,
        )
        for key in keys
    ]
    coefficients = transcript.coefficients
    for index in range(nodes):
        coefficients.share_public_key(index)  # once per key epoch
    figures: dict[str, float] = {}

    def message(sample: int) -> bytes:
        return b"bench-message-%d-%d" % (nodes, sample)

    signed = {s: threshold.sign_share(shares[0], message(s)) for s in range(samples)}
    figures["bls_sign_ms"] = median_ms(lambda s: bls.sign(shares[0], message(s) + b"!"), samples)
    figures["bls_hash_to_g1_ms"] = median_ms(lambda s: bls.hash_to_g1(message(s) + b"#"), samples)
    share_key = coefficients.share_public_key(0)
    figures["bls_verify_ms"] = median_ms(
        lambda s: bls.verify(share_key, message(s), signed[s]),
        samples,
        before=threshold.clear_caches,
    )
    figures["bls_verify_known_key_ms"] = median_ms(
        lambda s: bls.verify(share_key, message(s), signed[s]),
        samples,
        before=lambda: cold_messages(share_key),
    )
    for s in range(samples):
        bls.verify(coefficients.share_public_key(0), message(s), signed[s])
    figures["bls_verify_memoised_ms"] = median_ms(
        lambda s: bls.verify(coefficients.share_public_key(0), message(s), signed[s]), samples
    )

    def share_set(sample: int) -> dict[int, bytes]:
        text = message(sample) + b"t"
        return {index: threshold.sign_share(shares[index], text) for index in range(t)}

    sets = {s: share_set(s) for s in range(samples)}
    figures["threshold_sign_share_ms"] = median_ms(
        lambda s: threshold.sign_share(shares[1], message(s) + b"u"), samples
    )
    figures["threshold_combine_ms"] = median_ms(
        lambda s: threshold.combine_shares(sets[s], t), samples, before=bls.clear_caches
    )
    combined = {s: threshold.combine_shares(sets[s], t) for s in range(samples)}
    figures["threshold_verify_combined_ms"] = median_ms(
        lambda s: bls.verify(coefficients.public_key, message(s) + b"t", combined[s]),
        samples,
        before=lambda: cold_messages(coefficients.public_key),
    )

    def round_of_replica_zero(sample: int) -> None:
        """Replica 0 signs its share and combines it with the t − 1 shares it received."""
        text = message(sample) + b"t"
        received = {index: share for index, share in sets[sample].items() if index != 0}
        received[0] = threshold.sign_share(shares[0], text)
        if threshold.combine_and_verify(coefficients, text, received) is None:
            raise SystemExit("the threshold round did not verify")

    # Per-message memos (hashing, decoding shares, verification) start empty; the per-key-epoch
    # ones (the decoded group key, share public keys, Lagrange coefficients of the usual signer
    # set) stay warm, as in a replica that has signed with this key before.
    figures["threshold_round_ms"] = median_ms(
        round_of_replica_zero, samples, before=lambda: cold_messages(coefficients.public_key)
    )
    figures["threshold_verify_every_share_ms"] = median_ms(
        lambda s: [
            bls.verify(coefficients.share_public_key(i), message(s) + b"t", share)
            for i, share in sets[s].items()
        ],
        max(3, samples // 4),
        before=lambda: cold_messages(*(coefficients.share_public_key(i) for i in range(t))),
    )

    committee_keys = [key.committee_public_key for key in keys[:t]]
    multi = {s: [key.sign_committee(message(s) + b"m") for key in keys[:t]] for s in range(samples)}
    figures["multisig_aggregate_ms"] = median_ms(lambda s: multisig.aggregate(multi[s]), samples)
    aggregated = {s: multisig.aggregate(multi[s]) for s in range(samples)}
    figures["multisig_verify_aggregate_ms"] = median_ms(
        lambda s: multisig.verify_aggregate(committee_keys, message(s) + b"m", aggregated[s]),
        samples,
        before=lambda: cold_messages(*committee_keys),
    )

    config = DkgConfig(
        dkg_id=DkgId(subnet_id=subnet, start_height=100, tag="high"),
        dealers=members,
        receivers=members,
        threshold=t,
        resharing=transcript,
    )
    receiver_keys = {key.node_id: key.dealing_public_key for key in keys}
    dkg_samples = max(3, samples // 4)
    figures["dkg_create_dealing_ms"] = median_ms(
        lambda s: create_dealing(
            config, members[s % nodes], shares[s % nodes], b"%d" % s, receiver_keys
        ),
        dkg_samples,
    )
    dealings = [
        create_dealing(config, member, shares[index], b"d", receiver_keys)
        for index, member in enumerate(members)
    ]
    figures["dkg_verify_dealing_ms"] = median_ms(
        lambda s: verify_dealing(config, dealings[s % nodes]),
        min(dkg_samples, nodes),
        before=threshold.clear_caches,
    )
    threshold.clear_caches()
    began = time.process_time()
    new = create_transcript(config, dealings)
    figures["dkg_create_transcript_ms"] = (time.process_time() - began) * 1_000
    figures["dkg_compute_secret_share_ms"] = median_ms(
        lambda s: compute_secret_share(
            new, members[s % nodes], keys[s % nodes].dealing_private_key
        ),
        min(dkg_samples, nodes),
    )
    if new.public_key != transcript.public_key:
        raise SystemExit("resharing changed the public key")
    return {name: round(value, 3) for name, value in figures.items()}


def reference_and_facade_verify_ms(samples: int) -> tuple[float, float]:
    """The median verify of one signature by py-ecc and by the facade from empty caches: the
    same key, message and signature, so the ratio compares like with like."""
    from replica.crypto import bls_reference

    secret = 12_345
    signature = bls.sign(secret, b"reference")
    key = bls.public_key(secret)

    def by_reference(sample: int) -> None:
        if not bls_reference.verify(key, b"reference", signature):
            raise SystemExit("the reference did not verify")

    def by_facade(sample: int) -> None:
        if not bls.verify(key, b"reference", signature):
            raise SystemExit("the facade did not verify")

    reference = median_ms(by_reference, samples)
    facade = median_ms(by_facade, max(samples, 5), before=threshold.clear_caches)
    return reference, facade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="*", default=[4, 13, 40])
    parser.add_argument("--smoke", action="store_true", help="a small run (n = 4, three samples)")
    args = parser.parse_args()
    if args.smoke:
        args.samples, args.sizes = 3, [4]
    figures: dict[str, Any] = {}
    for nodes in args.sizes:
        for name, value in measure(nodes, args.samples).items():
            figures[f"{name}_n{nodes}"] = value
    reference, facade = reference_and_facade_verify_ms(1 if args.smoke else 3)
    figures["baseline_py_ecc_verify_ms"] = round(reference, 1)
    figures["facade_verify_same_signature_ms"] = round(facade, 3)
    figures["py_ecc_vs_facade_verify_ratio"] = round(reference / facade, 1) if facade else 0.0
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
