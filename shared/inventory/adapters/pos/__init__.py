"""POS connectors: a file export, a generic REST POS, and CSV exports in an S3 bucket."""
