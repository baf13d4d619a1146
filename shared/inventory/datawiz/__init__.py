"""The Datawiz dialect: /api/v1/product-inventory/ as Datawiz documents it (Django REST Framework
shapes: pages, field errors, OPTIONS metadata, a browsable page), over the same use cases."""
