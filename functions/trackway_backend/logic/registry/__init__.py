"""Model registry use cases: registered models, versions, aliases and stages."""
