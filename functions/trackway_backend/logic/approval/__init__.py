"""Approval: quality gates from registered-model tags, evaluated against the source run's metrics."""
