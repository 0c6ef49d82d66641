"""Benchmarks of the foundation: the deadline sweep against a raw UPDATE, and the idle worker pass.

Entry point: `bash bench/run.sh` (what `make bench` calls). It starts a throwaway PostgreSQL, runs
`python -m bench`, prints one table on stdout and removes the server again.
"""
