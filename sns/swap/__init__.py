"""The decentralization swap: SNS tokens sold for ICP, then neurons for the buyers.

A state machine driven by the governance clock (Pending/Adopted -> Open ->
Committed or Aborted, spec sns.md §3.1), tickets and `refresh_buyer_tokens`
for direct participants (§3.2), one clearing price (§3.3), neuron baskets
(§3.5), the Neurons' Fund matched funding (§3.6), and a journaled, resumable
finalization (§3.4) that refunds everyone on abort (§3.7). Sources: dfinity/ic
rs/sns/swap/src/swap.rs and rs/sns/swap/proto/ic_sns_swap/pb/v1/swap.proto.
"""
