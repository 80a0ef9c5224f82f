"""Reference implementation of the chat platform: the suite's embedded default target."""
