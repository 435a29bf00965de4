"""Candid, the interface description language of the Internet Computer.

The binary wire format with its type table and subtyping rules, and a textual
form for printing values and typing arguments on a command line.
"""
