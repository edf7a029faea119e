"""Serving: the live version of each model, loaded once per container, answering the scoring protocol."""
