"""Input and output shapes of the gridapp endpoints, one module per area."""
