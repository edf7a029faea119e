"""The `trackway` command line."""
