"""The Cannlytics dialect: `/api/inventory?organization_id=…` as Cannlytics documents it."""
