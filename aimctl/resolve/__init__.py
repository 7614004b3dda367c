"""Resolution: decide every value the operator would compute, without I/O."""
