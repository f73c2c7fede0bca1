# Layered on root-test: the full /proc, so that the tests can check that
# /proc/sys is read-only and the dangerous files are masked.

[Jail]
ProcSubset=all
