"""`make mutate`: mutation testing of the modules that carry the project's promises (scripts/mutation/modules.toml).

Each mutant is one small change (a flipped comparison, a deleted `.where(...)` condition, a guard made always
false...) run in a scratch copy against the tests that run its line; a mutant no test notices has survived. Not in
CI: a full run takes about an hour. README, "Mutation testing".

    make mutate                                        every module, every mutant
    make mutate ARGS="--module casecore/references.py" one module (or a folder)
    make mutate ARGS="--list"                          the mutants, without running them
    make mutate ARGS="--only ID" / ARGS="--show ID"    run one mutant / print its diff
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.mutation import config, coverage_map, report  # noqa: E402
from scripts.mutation.mutants import Mutant, module_mutants  # noqa: E402
from scripts.mutation.runner import EQUIVALENT, ERROR, Result, Runner, Timeouts  # noqa: E402
from scripts.mutation.workspace import Workspace, project_files  # noqa: E402

OUT = ROOT / ".mutation"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make mutate", description="Mutation testing of the modules in "
                                     "scripts/mutation/modules.toml.")
    parser.add_argument("--module", action="append", default=[], help="only this module or folder (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the mutants without running them")
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this mutant (repeatable)")
    parser.add_argument("--show", metavar="ID", help="print this mutant's diff")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel runs (default: cores)")
    parser.add_argument("--postgresql", action="store_true", help="run the PostgreSQL variants of the tests too")
    parser.add_argument("--timeout-factor", type=float, default=3.0,
                        help="a mutant's run may take this many times its tests' baseline time (default 3)...")
    parser.add_argument("--timeout-base", type=float, default=30.0, help="...plus these seconds (default 30)")
    parser.add_argument("--reuse-coverage", action="store_true",
                        help="use the kept coverage map even though sources or tests changed since it was made")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a module is under its target")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = config.load(ROOT)
    modules = config.expand(ROOT, args.module) if args.module else list(settings.modules)
    if args.only or args.show:
        named = [wanted.split(":")[0] for wanted in [*args.only, *filter(None, [args.show])]]
        modules = config.expand(ROOT, list(dict.fromkeys(named)))
    originals = {module: (ROOT / module).read_text(encoding="utf-8") for module in modules}
    mutants = [mutant for module in modules for mutant in module_mutants(module, originals[module])]
    by_id = {mutant.id: mutant for mutant in mutants}
    unknown = [wanted for wanted in [*args.only, *filter(None, [args.show])] if wanted not in by_id]
    if unknown:
        print(f"mutate: no mutant {unknown[0]} (make mutate ARGS=--list shows them)", file=sys.stderr)
        return 2
    if args.show:
        print(by_id[args.show].diff(originals[by_id[args.show].module]), end="")
        return 0
    _warn_stale(settings.equivalent, by_id, modules)
    if args.list:
        return _list(mutants, modules, settings.equivalent)
    chosen = [by_id[wanted] for wanted in args.only] if args.only else mutants
    results = _run(args, settings, modules, originals, chosen)
    if results is None:
        return 130
    lines = report.scores(results, modules)
    print()
    print(report.table(lines, settings.target))
    _print_details(results)
    report.write_json(OUT / "results.json", results, lines, settings.target)
    print(f"\nresults: {(OUT / 'results.json').relative_to(ROOT)}")
    if args.only:
        failing = any(result.status not in ("killed", "timeout") for result in results)
    else:
        failing = any(line.percent is not None and line.percent < settings.target for line in lines)
    failing = failing or any(result.status == ERROR for result in results)
    return 0 if args.no_fail or not failing else 1


def _run(args, settings: config.Config, modules: list[str], originals: dict[str, str],
         chosen: list[Mutant]) -> list[Result] | None:
    """The results of chosen (the equivalent ones not run), or None when interrupted."""
    equivalent = {} if args.only else settings.equivalent
    to_run = [mutant for mutant in chosen if mutant.id not in equivalent]
    results = {mutant.id: Result(mutant, EQUIVALENT, note=equivalent[mutant.id])
               for mutant in chosen if mutant.id in equivalent}
    files = project_files(ROOT)
    pytest_args = [*settings.select, *([] if args.postgresql else settings.sqlite_only)]
    measured = sorted(set(settings.modules) | set(modules))
    key = coverage_map.cache_key(ROOT, files, measured, pytest_args)
    scratch = Path(tempfile.mkdtemp(prefix="relais-mutate-"))
    workers = max(1, args.workers)
    postgres = _start_postgres() if args.postgresql else None
    workspaces: list[Workspace] = []
    started = time.monotonic()
    try:
        print(f"copying the repository for {workers} worker(s) into {scratch}")
        for number in range(workers):
            workspace = Workspace(scratch / f"worker{number}", ROOT, files, settings.shared_dir_env)
            if postgres is not None:
                workspace.env["TEST_POSTGRES_URL"] = postgres.url
            else:
                workspace.env.pop("TEST_POSTGRES_URL", None)
            workspaces.append(workspace)
        coverage = _coverage(args, workspaces[0], measured, pytest_args, workers, key)
        texts = {module: originals.get(module) or (ROOT / module).read_text(encoding="utf-8") for module in measured}
        runner = Runner(workspaces, texts, coverage, Timeouts(args.timeout_factor, args.timeout_base),
                        plugins=settings.plugins, declaration_tests=settings.declaration_tests)
        runner.baseline(sorted({test for mutant in to_run for test in runner.tests_for(mutant)}))
        total = len(to_run)
        count = iter(range(1, total + 1))

        def done(result: Result) -> None:
            mutant = result.mutant
            print(f"[{next(count)}/{total}] {result.status:9} {mutant.module}:{mutant.line} {mutant.operator} "
                  f"({result.seconds:.1f} s, {result.tests} tests)", flush=True)

        print(f"running {total} mutant(s) ({len(results)} equivalent left out)")
        for result in runner.run(to_run, done):
            results[result.mutant.id] = result
    except KeyboardInterrupt:
        print("\nmutate: interrupted; the working tree is as it was", file=sys.stderr)
        return None
    finally:
        for workspace in workspaces:
            workspace.stop()
            workspace.remove()
        shutil.rmtree(scratch, ignore_errors=True)
        if postgres is not None:
            postgres.stop()
    print(f"\n{len(to_run)} mutant(s) in {time.monotonic() - started:.0f} s")
    return [results[mutant.id] for mutant in chosen if mutant.id in results]


def _coverage(args, workspace: Workspace, modules: list[str], pytest_args: list[str], workers: int,
              key: str) -> coverage_map.CoverageMap:
    path = OUT / "coverage.json"
    found = coverage_map.cached(path, None if args.reuse_coverage else key)
    if found is not None:
        print(f"coverage map: {path.relative_to(ROOT)} (sources unchanged)" if found.key == key
              else f"coverage map: {path.relative_to(ROOT)}, kept though sources changed (--reuse-coverage)")
        return found
    print("coverage map: running the whole suite once under coverage, each test its own context "
          "(several minutes)...", flush=True)
    started = time.monotonic()
    found = coverage_map.measure(workspace, modules, pytest_args, workers, key)
    OUT.mkdir(exist_ok=True)
    path.write_text(json.dumps(found.to_json(), separators=(",", ":")), encoding="utf-8")
    print(f"coverage map: {len(found.tests)} tests in {time.monotonic() - started:.0f} s"
          + (f", {len(found.failed)} failed (left out)" if found.failed else ""))
    return found


def _start_postgres():
    from scripts.run_tests import ThrowawayPostgres, postgres_bindir

    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("mutate: --postgresql needs PostgreSQL installed (initdb)")
    server = ThrowawayPostgres(bindir)
    server.start()
    print(f"PostgreSQL on a throwaway server at port {server.port}")
    return server


def _list(mutants: list[Mutant], modules: list[str], equivalent: dict[str, str]) -> int:
    print(report.listing(mutants, equivalent))
    print()
    for module in modules:
        own = [mutant for mutant in mutants if mutant.module == module]
        marked = sum(mutant.id in equivalent for mutant in own)
        print(f"{module:44} {len(own):5} mutants" + (f" ({marked} equivalent)" if marked else ""))
    print(f"{'total':44} {len(mutants):5}")
    return 0


def _warn_stale(equivalent: dict[str, str], by_id: dict[str, Mutant], modules: list[str]) -> None:
    for mutant_id in equivalent:
        if mutant_id.split(":")[0] in modules and mutant_id not in by_id:
            print(f"mutate: warning: equivalent.toml names {mutant_id}, which is no longer produced",
                  file=sys.stderr)


def _print_details(results: list[Result]) -> None:
    surviving = report.survivors(results)
    if surviving:
        print(f"\nsurvivors:\n{surviving}")
    equivalent = [result for result in results if result.status == EQUIVALENT]
    if equivalent:
        print("\nequivalent (not run):")
        for result in equivalent:
            print(f"  {result.mutant.id} ({result.mutant.module}:{result.mutant.line}): {result.note}")
    for result in results:
        if result.status == ERROR:
            print(f"\nerror running {result.mutant.id}:\n{result.note}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
