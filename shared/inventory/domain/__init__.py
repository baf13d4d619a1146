"""Pure domain: models, value rules and decisions. No I/O, no cloud or web imports."""
