"""Agent servers the suite did not write, each started as a target with a profile of its own."""
