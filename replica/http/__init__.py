"""The IC's HTTP interface, served by a replica.

`backend` says what the server needs from the replica it serves (the live
driver implements it); `requests` parses and authenticates request envelopes
(the representation-independent request id, sender signatures, delegations,
the expiry window); `server` answers `/api/v2/status`, calls, queries and
read_state over HTTP as the IC interface spec describes.
"""
