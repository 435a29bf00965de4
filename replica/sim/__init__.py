"""The deterministic simulator: every replica of a subnet in one process.

Virtual time and a seeded network with delays, drops, reordering, partitions,
crashes and Byzantine replicas; a run is reproducible from its seed.
"""
