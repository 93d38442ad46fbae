"""asyncio on one event loop: --busy tasks share the a/b/c work, one round at a time with
an `await asyncio.sleep(0)` between rounds; --sleepers tasks wait in asyncio.sleep(0.05),
three coroutines deep, until the work is done (for --async and --async=all, 3.14+)."""
import asyncio

import _common as c


async def nap(stop):
    while not stop.is_set():
        await asyncio.sleep(0.05)


async def middle(stop):
    await nap(stop)


async def sleeper(stop):
    await middle(stop)


async def busy(units, pad):
    timers = {"a": 0.0, "b": 0.0, "c": 0.0}
    for i in range(units):
        c.split_rounds(1, pad, timers, seed=i)
        await asyncio.sleep(0)


def main():
    a = c.args({"--busy": dict(type=int, default=3), "--sleepers": dict(type=int, default=47)})
    pad = max(0, a.depth - 6)

    async def run(units, sleepers):
        stop = asyncio.Event()
        waiting = [asyncio.create_task(sleeper(stop)) for _ in range(sleepers)]
        per = max(1, units // a.busy)
        await asyncio.gather(*[asyncio.create_task(busy(per, pad)) for _ in range(a.busy)])
        stop.set()
        await asyncio.gather(*waiting)

    if a.calibrate:
        c.calibrate(lambda units: asyncio.run(run(units, 0)), a.calibrate)
        return
    asyncio.run(run(a.units, a.sleepers))
    c.finish("asyncio_tasks")


main()
