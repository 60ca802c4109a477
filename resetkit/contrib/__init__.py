"""Optional ready-made pieces built on resetkit's public API (signals, settings).

Nothing here is loaded unless a project imports it.
"""
