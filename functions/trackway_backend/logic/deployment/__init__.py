"""Deployment: the deploy alias's version onto a serving target, with history, health check and rollback."""
