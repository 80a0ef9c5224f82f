"""What the platform holds about a customer: the export of it, and its erasure."""
