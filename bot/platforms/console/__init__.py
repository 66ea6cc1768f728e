"""A local platform for `respite demo` and trials: cards become text on a stream."""
