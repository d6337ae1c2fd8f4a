"""The scheduling workloads W1-W6 of bench/core.ts, in CPython asyncio.

    python3 bench/python/workloads.py '{"W1_N": 100000, ...}' [--rounds 7] [--uvloop]

bench/peers/cpython.ts runs it with the counts bench/core.ts uses (so BENCH_SCALE applies
here too) and reads one JSON object from stdout:

    {"python": "3.11.7", "loop": "asyncio", "rounds": 7,
     "results": {"W1": ns_per_task, ...}, "notes": {"W1 eager": "why there is no figure"}}

Every figure is the median of `rounds` runs after one warm-up run; each run is a fresh
event loop (asyncio.run), as each yieldio run is a fresh `run()`. W5 is bytes per parked
task as tracemalloc counts them, the closest CPython has to V8's heapUsed after a gc.
"""
import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc


def per_op(t0: int, ops: int) -> float:
    return (time.perf_counter_ns() - t0) / ops


# ---- W1: spawn + gather of N tasks that return their index ----
async def w1_child(i):
    return i


async def w1(c):
    n = c["W1_N"]
    t0 = time.perf_counter_ns()
    tasks = [asyncio.create_task(w1_child(i)) for i in range(n)]
    results = await asyncio.gather(*tasks)
    assert len(results) == n, "W1 lost results"
    return per_op(t0, n)


async def w1_eager(c):
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    return await w1(c)


# ---- W2: tasks × sleep(0) ----
async def w2_child(switches):
    for _ in range(switches):
        await asyncio.sleep(0)


async def w2(c):
    tasks, switches = c["W2_TASKS"], c["W2_SWITCHES"]
    t0 = time.perf_counter_ns()
    await asyncio.gather(*[asyncio.create_task(w2_child(switches)) for _ in range(tasks)])
    return per_op(t0, tasks * switches)


# ---- W3: ping-pong through fresh futures ----
async def w3(c):
    n = c["W3_N"]
    loop = asyncio.get_running_loop()
    box = {"to_pong": loop.create_future(), "to_ping": loop.create_future()}

    async def pong():
        for _ in range(n):
            v = await box["to_pong"]
            box["to_pong"] = loop.create_future()
            box["to_ping"].set_result(v + 1)

    t0 = time.perf_counter_ns()
    p = asyncio.create_task(pong())
    for i in range(n):
        reply = box["to_ping"]
        box["to_pong"].set_result(i)
        v = await reply
        assert v == i + 1, "W3 wrong reply"
        box["to_ping"] = loop.create_future()
    await p
    return per_op(t0, n)


# ---- W4: N calls of a coroutine nested 10 deep that never suspends ----
async def w4_nested(depth):
    if depth == 0:
        return 1
    return 1 + await w4_nested(depth - 1)


async def w4(c):
    n = c["W4_N"]
    t0 = time.perf_counter_ns()
    total = 0
    for _ in range(n):
        total += await w4_nested(9)
    assert total == n * 10, "W4 wrong sum"
    return per_op(t0, n)


# ---- W5: bytes per task with N tasks parked on one future ----
async def w5_parked(gate):
    await gate


async def w5(c):
    n = c["W5_N"]
    gate = asyncio.get_running_loop().create_future()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(w5_parked(gate)) for _ in range(n)]
    await asyncio.sleep(0)  # every task takes its first step and parks on the gate
    await asyncio.sleep(0)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    gate.set_result(None)
    await asyncio.gather(*tasks)
    return used / n


# ---- W6: tasks each under a deep await chain doing sleep(0) ----
async def w6_chain(depth, switches):
    if depth > 0:
        return await w6_chain(depth - 1, switches)
    for _ in range(switches):
        await asyncio.sleep(0)


async def w6(c):
    tasks, depth, switches = c["W6_TASKS"], c["W6_DEPTH"], c["W6_SWITCHES"]
    t0 = time.perf_counter_ns()
    await asyncio.gather(*[asyncio.create_task(w6_chain(depth, switches)) for _ in range(tasks)])
    return per_op(t0, tasks * switches)


WORKLOADS = {"W1": w1, "W1 eager": w1_eager, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6}


def main(argv):
    counts = json.loads(argv[1])
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 7
    runner = asyncio.run
    loop_name = "asyncio"
    if "--uvloop" in argv:
        import uvloop  # noqa: only when asked; the caller checked it imports

        runner = uvloop.run if hasattr(uvloop, "run") else (lambda coro: (uvloop.install(), asyncio.run(coro))[1])
        loop_name = "uvloop " + uvloop.__version__
    results, notes = {}, {}
    for key, fn in WORKLOADS.items():
        if key == "W1 eager" and not hasattr(asyncio, "eager_task_factory"):
            notes[key] = "asyncio.eager_task_factory needs Python 3.12"
            continue
        runner(fn(counts))  # warm-up
        results[key] = statistics.median(runner(fn(counts)) for _ in range(rounds))
    out = {"python": sys.version.split()[0], "loop": loop_name, "rounds": rounds, "results": results, "notes": notes}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
