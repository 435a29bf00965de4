"""The front ends of icbox: the `icbox` command line and the Textual dashboard.

Both reach the network only through the replica's agent.
"""
