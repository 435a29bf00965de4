"""The dashboard's screens: Network, Proposals, Neurons and Wallet."""
