"""Adapters: the stores, publishers and connectors behind the service's ports."""
