"""Every HTTP call a plugin makes goes through here: the API client with retries, budgets and the
circuit breaker (`http`), and OAuth token refresh (`oauth`)."""
