"""Profile one certcli command: where its imports and its run time go.

    python bench/profile_command.py imports [--floor] [--runs 7] -- --today 2026-12-04 add E000001 BLS ...
    python bench/profile_command.py cprofile [--top 25] -- --today 2026-12-04 list --expiring-within 60

`imports` runs the command several times under `python -X importtime` and keeps each
module's smallest self time, because the minimum filters out most of the noise of a shared
machine. With --floor it runs bench/floor_app.py instead of certcli. `cprofile` runs the
command once in this process under cProfile, with stdout sent to /dev/null, and saves the
profile under bench/out/. Both read CERTCLI_DB and the other CERTCLI_ variables from the
environment, and both write .pyc files even under PYTHONDONTWRITEBYTECODE, because without
them every edited module would be compiled again in each measured run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"


def import_times(argv: list[str], runs: int) -> dict[str, int]:
    """Return {module: smallest self time in microseconds} over `runs` runs of `argv`."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    best: dict[str, int] = {}
    for _ in range(runs):
        completed = subprocess.run([sys.executable, "-X", "importtime", *argv], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        # Lines read "import time: <self us> | <cumulative us> | <indented module name>".
        for line in completed.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_time, _, name = line.removeprefix("import time:").split("|")
            module, micros = name.strip(), int(self_time)
            best[module] = min(best.get(module, micros), micros)
    return best


def report_imports(best: dict[str, int], top: int) -> None:
    by_package: dict[str, int] = defaultdict(int)
    for module, micros in best.items():
        by_package[module.split(".")[0].lstrip("_")] += micros
    print(f"{len(best)} modules, {sum(best.values()) / 1000:.1f} ms of import self time (minimum per module)")
    print("\nby top-level package:")
    for package, micros in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        print(f"  {micros / 1000:7.1f} ms  {package}")
    print("\nslowest modules:")
    for module, micros in sorted(best.items(), key=lambda item: -item[1])[:top]:
        print(f"  {micros / 1000:7.1f} ms  {module}")


def run_cprofile(arguments: list[str], top: int) -> None:
    sys.dont_write_bytecode = False
    from certcli.cli import main

    OUT.mkdir(exist_ok=True)
    path = OUT / "certcli.prof"
    sys.argv = ["certcli", *arguments]
    stdout = sys.stdout
    profiler = cProfile.Profile()
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        profiler.enable()
        try:
            main()
        except SystemExit:
            pass
        finally:
            profiler.disable()
            sys.stdout = stdout
    profiler.dump_stats(path)
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"profile saved to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one certcli command.")
    parser.add_argument("mode", choices=("imports", "cprofile"))
    parser.add_argument("--floor", action="store_true", help="imports: run bench/floor_app.py instead of certcli")
    parser.add_argument("--runs", type=int, default=7, help="imports: runs to take the minimum over")
    parser.add_argument("--top", type=int, default=25, help="lines to show")
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        parser.error("give the certcli arguments after --, e.g. -- --today 2026-12-04 list")
    split = argv.index("--")
    arguments = parser.parse_args(argv[:split])
    command = argv[split + 1:]

    if arguments.mode == "cprofile":
        run_cprofile(command, arguments.top)
        return 0
    program = [str(BENCH / "floor_app.py")] if arguments.floor else ["-m", "certcli"]
    report_imports(import_times(program + command, arguments.runs), arguments.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
