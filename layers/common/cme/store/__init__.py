"""Persistence on AWS: `repository.DynamoStore` (DynamoDB, through the pynamodb models of
one table) and `files.CertificateFiles` (S3). Nothing here is imported by the package
itself, so that `cme.store.files` does not bring pynamodb along."""
