"""Running every function on one machine: a gateway over the functions' own apps, and the CLI."""
