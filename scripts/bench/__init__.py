"""`make bench`: the taps, the loader and the pipelines measured in one run, into docs/benchmarks.md.

A benchmark that prints numbers, not a timed test. Modules: `vendors/` holds each API's facts
(bulk streams and their raw loops, minimum requests, settings); `runs` runs a tap against the
sandbox (through scripts/taprun.py, the runner the tests use too); `taps`, `loader`,
`pipelines` measure; `report` writes the Markdown. Run `python -m bench` from scripts/
(`make bench`, `BENCH_ARGS="--only taps --taps salesflow --report /tmp/b.md"`).
"""

#: Sandbox data seed of every measurement.
SEED = 7
