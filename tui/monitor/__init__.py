"""`icbox monitor`: watch every node, and replace a dead subnet member by proposal.

`health` decides from status probes which members are dead (sans-I/O),
`planner` decides which replacement proposals to file under rate limits and
without duplicates (sans-I/O, the choice itself is
`registry.decentralization`), `service` is the shell that probes, reads the
registry and governance, files proposals and runs both as APScheduler jobs,
and `events` is what it reports.
"""
