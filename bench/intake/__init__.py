"""The pieces of bench/intake_throughput.py: servers to measure, load generators, in-process costs, the
page-weight and slow-link checks, the flood, and the report that sets every figure beside its target."""
