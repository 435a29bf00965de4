"""A local network on this machine: its description, genesis, processes and status.

`icbox up` builds a network here (`create`), starts one supervisor process per
node (`processes`), waits until every subnet has finalized and certified a
height, and writes `.icbox/network.json`. `icbox status` reads the replicas'
status files; `icbox down` stops every process it started.
"""
