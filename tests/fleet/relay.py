"""A plain TCP relay for the fleet's network-namespace run: listens on HOST:PORT and pipes each
connection to TARGET_HOST:TARGET_PORT. Prints "ready" once listening; exits when stdin closes.

    python relay.py HOST PORT TARGET_HOST TARGET_PORT

The SDK accepts plain http:// only for loopback hosts, so a process in a namespace talks to
http://127.0.0.1:PORT, and this relay (inside the namespace) carries it over the veth pair to the
host, where a second relay on the veth address hands it to the mock on the host's loopback.
"""

import asyncio
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, OSError):
            pass


async def main(host: str, port: int, target_host: str, target_port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, host, port, reuse_address=True)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    # Until the parent goes away (its pipe on our stdin closes).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    h, p, th, tp = sys.argv[1:5]
    asyncio.run(main(h, int(p), th, int(tp)))
