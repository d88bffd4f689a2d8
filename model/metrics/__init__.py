"""Every reported figure, defined once, and the recorder that runs the definitions."""
