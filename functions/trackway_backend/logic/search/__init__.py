"""MLflow's search grammar (filters, order_by, page tokens) evaluated over entity summaries."""

from trackway_backend.logic.search.entities import experiments_query, logged_models_query, runs_query, start_cursor

__all__ = ["experiments_query", "logged_models_query", "runs_query", "start_cursor"]
