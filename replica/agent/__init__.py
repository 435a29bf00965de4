"""The Python client of the IC's HTTP interface.

`AsyncAgent` (asyncio) and `Agent` (synchronous, running an `AsyncAgent` on
a private event loop) send calls, queries and read_state requests signed by
an `Identity` (`replica.agent.identity`), and verify every certificate
against the root key and every query reply against the node keys of the
answering subnet. `CanisterClient` adds Candid in and out.
"""
