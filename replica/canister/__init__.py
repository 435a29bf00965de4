"""The canister SDK.

A canister is code plus isolated state, reached only by messages. A system
canister is a Python class whose state lives in SQLModel tables in its own
SQLite database (its stable memory); one message runs in one transaction, so
a trap or an error leaves no trace.
"""
