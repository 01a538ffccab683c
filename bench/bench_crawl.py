"""Crawl benchmark (run by hand): is the configured rate used fully, and never exceeded?

Serves a fake AO3 with WORKS works in one tag on loopback, every response
delayed by LATENCY seconds (a far-away server), and crawls the tag with
``ficindex crawl --rate R`` in its own process. From the server's request log
it reports the achieved request rate (goal: at least 0.95 R, never above R),
the busiest one-second window, the closest two request starts, and requests
per work (goal: 1.0 plus the listing pages / 20). Its floor is the configured
rate itself. It takes about WORKS / RATE seconds (20 s with the defaults).

    python bench/bench_crawl.py --rate 10 --works 200 --latency 0.2 --concurrency 4
"""

from __future__ import annotations

import argparse
import bisect
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ao3server import AO3Server, make_site  # noqa: E402


def busiest_second(times: list[float]) -> int:
    """The most request starts in any window [t, t + 1 s) that opens at a request."""
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (10)")
    parser.add_argument("--works", type=int, default=200, help="works in the tag (200)")
    parser.add_argument("--latency", type=float, default=0.2, help="server delay, s (0.2)")
    parser.add_argument("--concurrency", type=int, default=4, help="crawl concurrency (4)")
    args = parser.parse_args()

    site = make_site(args.works)
    site.latency = args.latency
    with AO3Server(site) as server, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        command = [
            sys.executable, "-m", "ficindex", "crawl", str(db),
            server.url + "/tags/Test%20Tag/works", "--base-url", server.url,
            "--rate", str(args.rate), "--concurrency", str(args.concurrency), "--silent",
        ]  # fmt: skip
        started = time.monotonic()
        code = subprocess.run(command, check=False).returncode
        wall = time.monotonic() - started
        log = server.log

    times = sorted(entry.t for entry in log)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    work_requests = [e for e in log if e.path.startswith("/works/")]
    pages = [e for e in log if e.path.startswith("/tags/")]
    achieved = (len(times) - 1) / (times[-1] - times[0])
    print(f"exit code           {code}")
    print(f"works / pages       {len({e.path for e in work_requests})} works, {len(pages)} pages")
    print(f"requests            {len(log)} (robots.txt 1, listing pages {len(pages)}, "
          f"works {len(work_requests)})")  # fmt: skip
    goal = 1 + (len(pages) + 1) / args.works
    print(f"requests per work   {len(log) / args.works:.3f} (goal {goal:.3f}: 1 + pages/works)")
    print(f"configured rate     {args.rate:.2f} req/s, latency {args.latency * 1000:.0f} ms, "
          f"concurrency {args.concurrency}")  # fmt: skip
    print(f"achieved rate       {achieved:.3f} req/s ({achieved / args.rate:.1%} of configured)")
    print(f"busiest 1 s window  {busiest_second(times)} request starts (configured {args.rate:g})")
    print(f"closest two starts  {min(gaps) * 1000:.1f} ms (1/rate = {1000 / args.rate:.1f} ms)")
    print(f"wall time           {wall:.1f} s (process start to exit)")


if __name__ == "__main__":
    main()
