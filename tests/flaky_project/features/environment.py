"""A project whose scenarios fail on their first attempt only: for the runner's retry tests."""
