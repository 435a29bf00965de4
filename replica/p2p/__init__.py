"""Node-to-node transport: artifacts between the replicas of a subnet.

Every replica keeps one authenticated TLS 1.3 connection to each peer of its
subnet. Both ends present the certificate their registry record holds, and a
key that is not a member of the subnet at the registry versions in use is
refused (`tls`). Over a connection flow length-prefixed frames carrying the
artifacts' canonical encodings (`frames`, a sans-I/O state machine with an
in-memory twin in `memory`). `peers` is the asyncio service: a dialer and a
bounded queue per peer, so a slow or dead peer never stalls the others, and a
resend of what the peer lacks above its catch-up package whenever a
connection is (re)established, which makes delivery eventual.
"""
