"""pydantic-ai's own AG-UI server, with a scripted, offline model: the protocol encoding under test is pydantic's."""
