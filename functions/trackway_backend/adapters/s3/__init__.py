"""S3: the artifact bucket behind the ObjectStore port."""
