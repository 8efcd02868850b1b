"""Chapter 2: hidden checks."""
