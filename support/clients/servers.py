"""The platform's instances: requests and chat sockets spread over them, or pinned to one by name."""

import itertools
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from support.stack.service_errors import NotConfigured

SERVER_NAMES = {"one server": 0, "the other server": 1}  # how journeys name the instances they pin


def chat_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}[parts.scheme]
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/chat", "", ""))


def base_of(chat_socket_url: str) -> str:
    """The instance a chat socket is open on, as the base URL requests use."""
    parts = urlsplit(chat_socket_url)
    return urlunsplit(({"ws": "http", "wss": "https"}[parts.scheme], parts.netloc, "", "", ""))


class Servers:
    """Base URLs of the instances. The first `spread` take turns serving requests; any can be named."""

    def __init__(self, urls: tuple[str, ...], spread: int | None = None) -> None:
        assert urls, "a deployment has at least one instance"
        self.urls = list(urls)
        self.spread = spread or len(urls)
        self._turns: Iterator[int] = itertools.cycle(range(self.spread))

    def next(self) -> str:
        """The instance whose turn it is."""
        return self.urls[next(self._turns)]

    def named(self, name: str) -> str:
        index = SERVER_NAMES[name]
        if index >= len(self.urls):
            raise NotConfigured(
                f"This journey needs {index + 1} platform instances; the target has {len(self.urls)}. "
                "Give them with -D instance_urls=<url>,<url> (the embedded stack starts a second one itself)."
            )
        return self.urls[index]

    def add(self, url: str) -> None:
        """One more instance to name; requests go on spreading over the first `spread`."""
        if url not in self.urls:
            self.urls.append(url)

    def only(self, url: str) -> "Servers":
        return Servers((url,))
