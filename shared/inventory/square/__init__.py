"""Square's Inventory API v2 as a dialect over the ledger: its requests in, its objects and errors out."""
