"""Serving adapters: targets a deployment goes to, the health probe, and model loading for the serving function."""
