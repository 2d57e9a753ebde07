"""Running the service on one machine: the real Lambda handlers behind a local HTTP server,
with moto standing in for DynamoDB and S3. Development and test tooling only: nothing here
runs in Lambda."""
