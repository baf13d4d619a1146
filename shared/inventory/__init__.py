"""Inventory API for multi-location regulated retail: domain, service, adapters, HTTP."""
