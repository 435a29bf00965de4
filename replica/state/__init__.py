"""The replicated state of a subnet and its certification.

After each height the certified part of the state forms a hash tree whose root
the subnet signs with its threshold key; checkpoints at catch-up heights are
cut into chunks whose manifest root is the catch-up package's state hash.
"""
