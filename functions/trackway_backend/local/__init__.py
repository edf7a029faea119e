"""The local stack: the Lambda handlers behind an API Gateway (HTTP API) emulation, on DynamoDB Local
and s3rver, with no AWS account."""
