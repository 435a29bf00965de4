"""The cycles minting canister: ICP to cycles, the certified ICP/XDR rate, the subnet tables.

- `rate`: the conversion rate, its certified hash tree and the ICP-to-cycles formula;
- `state`: the canister's tables and the methods NNS governance calls;
- `canister`: `CyclesMinting`, with the payment flows (`notify_top_up`,
  `notify_create_canister`, `create_canister`);
- `interface`: the Candid types of rs/nns/cmc/cmc.did.
"""

from nns.cycles_minting.canister import CyclesMinting, principal_to_subaccount

__all__ = ["CyclesMinting", "principal_to_subaccount"]
