"""Peak RSS of hazgw with 50,000 configured points, and where the memory goes.

    .venv/bin/python benchmarks/peers/memory.py [--points 50000]

Generates 100 Modbus TCP devices × 500 float32 points (the devices are not running: every
point goes BAD comm_loss, which keeps the whole pipeline busy with them) as site files of
at most 10 devices each (a config file is bounded to 4 MiB and 200,000 values, see
``config/yamlguard.py``; each file is its own enterprise), loads them with the real loader,
builds and runs the real gateway for a few seconds, and prints the process's peak RSS and
the tracemalloc top allocations by file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import sys
import tempfile
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import yaml

from benchmarks.peers.gateways import hazgw_site
from benchmarks.peers.tb_config import ModbusSlave
from gateway.runtime import Gateway
from gateway.validation import load_gateway

LIMIT_MB = 200


def rss_mb() -> tuple[float, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line[:5]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


DEVICES_PER_FILE = 10  # 5,000 points: well inside a config file's bounds


def site_files(devices: int) -> list[str]:
    return [f"site{first // DEVICES_PER_FILE:02d}.yaml"
            for first in range(0, devices, DEVICES_PER_FILE)]


def write_sites(folder: Path, devices: int, per_device: int) -> None:
    for number, name in enumerate(site_files(devices)):
        first = number * DEVICES_PER_FILE
        # Port 9 (discard) on loopback: nothing answers, connections are refused.
        site = hazgw_site([ModbusSlave(f"dev{n}", 9, per_device, 1000)
                           for n in range(first, min(devices, first + DEVICES_PER_FILE))])
        site["enterprise"] = {"name": f"基准测试 {number}", "code": f"BENCH{number:02d}"}
        (folder / name).write_text(yaml.safe_dump(site, allow_unicode=True))


async def run(points: int, seconds: float, trace: bool, per_device: int = 500) -> None:
    devices = max(1, points // per_device)
    with tempfile.TemporaryDirectory(prefix="hazgw-mem-") as temp:
        folder = Path(temp)
        # Written by a child process: dumping 11 MB of YAML would set this one's peak.
        context = multiprocessing.get_context("spawn")
        writer = context.Process(target=write_sites, args=(folder, devices, points // devices))
        writer.start()
        writer.join(300)
        (folder / "gateway.yaml").write_text(yaml.safe_dump({
            "sites": site_files(devices), "http": {"host": "127.0.0.1", "port": 0},
        }))
        size = sum((folder / name).stat().st_size for name in site_files(devices))
        print(f"site files: {size / 2**20:.1f} MiB in {len(site_files(devices))}, "
              f"{devices} devices, {points:,} points")
        print("after imports:        RSS {:.0f} MB, peak {:.0f} MB".format(*rss_mb()))
        if trace:
            tracemalloc.start(10)
        loaded = load_gateway(folder / "gateway.yaml")
        print("after loading:        RSS {:.0f} MB, peak {:.0f} MB".format(*rss_mb()))
        gateway = Gateway(loaded.config, loaded.sites, state_dir=folder / "state",
                          config_path=folder / "gateway.yaml")
        task = asyncio.create_task(gateway.run())
        await asyncio.sleep(seconds)
        print("running {:g} s:         RSS {:.0f} MB, peak {:.0f} MB".format(seconds, *rss_mb()))
        if trace:
            snapshot = tracemalloc.take_snapshot()
            current, peak = tracemalloc.get_traced_memory()
            print(f"tracemalloc: {current / 2**20:.1f} MiB held, {peak / 2**20:.1f} MiB peak")
            for stat in snapshot.statistics("filename")[:12]:
                name = stat.traceback[0].filename.split("site-packages/")[-1]
                print(f"  {stat.size / 2**20:7.2f} MiB {stat.count:9,d} blocks  {name}")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    _, peak = rss_mb()
    verdict = "met" if peak <= LIMIT_MB else "NOT met"
    print(f"peak RSS {peak:.0f} MB with {points:,} points (target ≤ {LIMIT_MB} MB: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--per-device", type=int, default=500,
                        help="points per device (50 with --points 2500: the 50×50 layout)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="where the memory goes (slower, and adds its own overhead)")
    args = parser.parse_args()
    asyncio.run(run(args.points, args.seconds, args.tracemalloc, args.per_device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
