"""HTTP layer shared by every function: routing, auth, parsing, errors, rendering, request logs."""
