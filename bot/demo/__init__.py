"""`respite demo`: the whole product on a fixed clock and the console. Only the CLI imports it."""
