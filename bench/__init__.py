"""Benchmarks: each measures one thing through Palabre's real code beside a baseline measured in
the same run, and is run as `python -m bench.<name>` (docs/benchmarks.md)."""
