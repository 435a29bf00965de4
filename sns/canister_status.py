"""The Candid types of a canister's status as SNS root and SNS governance answer it
(`CanisterStatusResultV2` in the official sns_root.did and sns_governance.did)."""

from __future__ import annotations

from typing import Final

CANISTER_STATUS_DID: Final = """
type CanisterStatusType = variant { stopped; stopping; running };
type DefiniteCanisterSettingsArgs = record {
  freezing_threshold : nat; controllers : vec principal; wasm_memory_limit : opt nat;
  memory_allocation : nat; compute_allocation : nat; wasm_memory_threshold : opt nat;
};
type CanisterStatusResultV2 = record {
  status : CanisterStatusType; memory_size : nat; cycles : nat;
  settings : DefiniteCanisterSettingsArgs; idle_cycles_burned_per_day : nat;
  module_hash : opt blob;
};
"""
