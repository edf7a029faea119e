"""trackway backend: MLflow-compatible tracking and registry on Lambda, DynamoDB, S3 and EventBridge."""

__version__ = "0.1.0"
