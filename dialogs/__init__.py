"""Conversations with citizens: the engine, the flows, and the message catalogs."""
