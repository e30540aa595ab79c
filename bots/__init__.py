"""Channel adapters: verify, parse provider payloads into neutral messages, send replies."""
