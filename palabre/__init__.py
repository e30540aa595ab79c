"""Palabre's composition root, settings and command line."""
