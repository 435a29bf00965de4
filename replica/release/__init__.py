"""Releases: the replica's code as a content-addressed archive, and how a node runs one.

A release is a deterministic gzip-compressed tar of the project's Python
packages (the code a replica process imports): entries sorted, times, owners
and modes fixed, so the same tree always gives the same bytes and its SHA-256
names it. The registry elects a replica version as (version id, SHA-256,
URLs); a node downloads the archive ahead of time, refuses it unless its hash
is the elected one, unpacks it into its own directory and runs the replica
from the unpacked code, isolated from any other copy (`archive`, `fetch`,
`launch`). `server` is a small HTTP server that serves archives by name.
"""
