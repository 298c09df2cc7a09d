"""Build the territory file from open data: BAN addresses, QPV contours, the school directory."""
