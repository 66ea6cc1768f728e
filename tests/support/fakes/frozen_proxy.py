"""A TCP proxy on 127.0.0.1 in front of a real server, which a test can freeze.

Frozen, it forwards nothing in either direction and closes nothing: connections are still
accepted (the kernel completes the handshake, as it does for a stalled database host or a
stopped server process), bytes sent are acknowledged and held, and no answer comes back. That is
a database that hangs, unlike one that refuses, which drivers notice at once. Thawed, it forwards
what it held, in order, as a resumed host would process its queued packets.

`freeze_on(marker)` freezes just before forwarding the first client bytes that contain `marker`
(a statement's text), to stop a transaction half way.
"""

from __future__ import annotations

import asyncio
import contextlib


class FrozenProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._marker: bytes | None = None
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    @property
    def frozen(self) -> bool:
        return not self._flowing.is_set()

    def freeze(self) -> None:
        self._flowing.clear()

    def freeze_on(self, marker: bytes) -> None:
        self._marker = marker

    def thaw(self) -> None:
        self._marker = None
        self._flowing.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(client_w)
        # A new connection waits, unanswered, while frozen: the upstream is not even dialled.
        await self._flowing.wait()
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        self._writers.add(server_w)
        for pump in (
            self._pump(client_r, server_w, from_client=True),
            self._pump(server_r, client_w, from_client=False),
        ):
            task = asyncio.ensure_future(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_client: bool
    ) -> None:
        try:
            while True:
                await self._flowing.wait()
                data = await reader.read(65536)
                if from_client and self._marker is not None and self._marker in data:
                    self._marker = None
                    self.freeze()
                # Bytes read while frozen are held until the thaw, never dropped.
                await self._flowing.wait()
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof():
                    writer.write_eof()
