"""Conformance with the operator's own Chainsaw e2e tests (read from ../shared at test time)."""
