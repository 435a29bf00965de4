"""IC consensus for one subnet.

Random beacon, block making by rank, notarization and finalization with
threshold signature shares, DKG summary blocks and catch-up packages. Each
role looks at the artifact pool and returns a change set; one pool owner
applies it.
"""
