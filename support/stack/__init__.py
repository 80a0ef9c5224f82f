"""The test bed: the embedded stack, where the suite points, and whether its services answer."""
