"""The console channel: the same flows in a terminal, with no account of any kind."""
