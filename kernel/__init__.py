"""The kernel every app may use: error types, problem details, API input and output types, single-line text,
CSV export, rate limits and hand-written SQL helpers. It imports no app and nothing of the project package
(docs/architecture.md, "Layers")."""
