"""The tools around cme-credits, never shipped in the Lambda layer: the `cme` command line
(the organiser's client of the API and the offline audit), the HTTP client, the local
stack (`cme serve`, the demo), the OpenAPI generation, and the in-process invocation of
the functions that tests and the bench share."""
