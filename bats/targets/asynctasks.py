# asynctasks.py SECONDS OUT.json: 50 asyncio tasks on one event loop; three named busy ones
# (alpha, beta, gamma) spin 3, 2 and 1 ms a round through a chain of three coroutines;
# "waiter" awaits the task "napper", which sleeps; "holder" awaits a plain future; the
# other 44 sleep.  Writes the CPU time each busy task really spun, by name.
import asyncio
import json
import sys
import time

spent = {}


def spin(ms):
    end = time.perf_counter() + ms / 1000.0
    while time.perf_counter() < end:    # SPIN
        pass


async def inner(name, ms):
    t0 = time.perf_counter()
    spin(ms)                            # INNER
    spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
    await asyncio.sleep(0)


async def middle(name, ms):
    await inner(name, ms)               # MIDDLE


async def outer(name, ms):
    await middle(name, ms)              # OUTER


async def busy(name, ms, end):
    while time.perf_counter() < end:
        await outer(name, ms)           # BUSY


async def sleeper(end):
    while time.perf_counter() < end:
        await asyncio.sleep(0.05)       # SLEEP


async def nap(end):
    while time.perf_counter() < end:
        await asyncio.sleep(0.05)       # NAP


async def wait_for(task):
    await task                          # AWAIT TASK


async def hold(fut):
    await fut                           # HOLD


async def main(seconds):
    end = time.perf_counter() + seconds
    tasks = [asyncio.create_task(busy(n, ms, end), name=n)
             for n, ms in (("alpha", 3), ("beta", 2), ("gamma", 1))]
    napper = asyncio.create_task(nap(end), name="napper")
    tasks.append(asyncio.create_task(wait_for(napper), name="waiter"))
    fut = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(seconds, fut.set_result, None)
    tasks.append(asyncio.create_task(hold(fut), name="holder"))
    tasks += [asyncio.create_task(sleeper(end)) for _ in range(44)]
    await asyncio.gather(*tasks)        # GATHER


asyncio.run(main(float(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    json.dump(spent, f)
