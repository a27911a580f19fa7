"""A client's state: the store and its migrations (`store`), the ledger's tables (`ledger`), the
per-client lock (`lock`) and the reference-data cache (`refcache`)."""
