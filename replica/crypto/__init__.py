"""Node and subnet cryptography.

Node keys (Ed25519 signing, X25519 dealing encryption, TLS), BLS12-381
threshold signatures in the IC's form, distributed key generation with
resharing, and the hash trees and certificates of the IC interface spec.
"""
