"""One client per protocol: the REST API, the chat socket, the database probe."""
