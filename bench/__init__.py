"""Benchmark harness (not timed tests): see bench/README.md."""
