"""The engine: one run of a client's flows (`runner`), the run they share (`run`), the flows themselves
(`flows/`), and what turns a source document into a sink entry (`mapping`, `templates`,
`payment_terms`, `fingerprint`)."""
