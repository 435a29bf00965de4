"""The operations of icbox over the agent and the typed NNS clients.

What the command line and the dashboard share: plain functions and small
classes that reach a network only through `replica.agent` and `nns.clients`,
return typed records (frozen dataclasses) and never print. A failure is one
of the errors of `tui.ops.errors`, each with the exit code the command line
gives it: bad usage, an unreachable network, or a refusal by a canister.
"""
