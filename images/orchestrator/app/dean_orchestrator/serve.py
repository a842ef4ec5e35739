"""uvicorn's command line, with Nagle's algorithm off on the listening socket.

With more than one worker, uvicorn (0.17 here, and later releases too: uvicorn issue #3149)
binds the socket itself with `proto` 0; the connections it accepts inherit that, and asyncio
turns TCP_NODELAY on only for sockets that report IPPROTO_TCP. Nagle's algorithm then holds
back the body of every response after the first on a keep-alive connection until the peer's
delayed ACK: about 40 ms per request for nginx's upstream keep-alive pool. Accepted sockets
inherit TCP_NODELAY from the listening one on Linux, so setting it there is enough.
"""

import socket

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_socket_without_nagle(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


uvicorn.config.Config.bind_socket = _bind_socket_without_nagle  # type: ignore[method-assign]

if __name__ == "__main__":
    uvicorn.main.main()
