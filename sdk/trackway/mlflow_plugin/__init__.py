"""The mlflow client plugin (`pip install 'trackway[mlflow]'`), registered through MLflow's entry points.

With it installed, the unmodified mlflow client (any 3.x) talks to trackway the way the trackway SDK does,
with no change to the training script:

- `mlflow.artifact_repository` (`mlflow-artifacts`, `http`, `https`): every upload to a server that
  transfers artifacts over presigned URLs goes `mpu/create` → part PUTs straight to S3 → `mpu/complete`,
  whatever the file size, so no artifact byte goes through the API. Downloads, listing and deletes are
  mlflow's own. Any other server keeps mlflow's behaviour.
- `mlflow.request_auth_provider` (`trackway`, selected with `MLFLOW_TRACKING_AUTH=trackway`): SigV4 that
  API Gateway verifies (repeated query keys, spaces), or a bearer token.

Nothing here is imported by `import trackway`; mlflow loads these modules when it builds its registries.
"""
