"""The gridapp endpoints, one module per area; `gridapp.api.urls` routes to them."""
