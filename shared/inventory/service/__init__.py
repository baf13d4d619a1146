"""Use cases over ports. Imports the domain and nothing from adapters, Flask or google.cloud."""
