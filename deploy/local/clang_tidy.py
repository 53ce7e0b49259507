#!/usr/bin/python3
"""clang-tidy on the production code of services/ and tools/, with a cache of clean results.

Every diagnostic clang-tidy reports in project code is a failure (.clang-tidy lists the checks
kept and says next to each one left out why). A file whose result was clean is remembered by
the SHA-256 of what clang-tidy would see: its preprocessed source (with the checkout's path
replaced, so clones share the cache), its compile flags, .clang-tidy and clang-tidy's version.
The cache lives outside the repository, like ccache's ($XDG_CACHE_HOME or ~/.cache), so a warm
run only preprocesses; a cold one takes about 15 s per file per core.

Usage: clang_tidy.py --build-dir build [--jobs N] [--only FILE ...] [--no-cache]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Production code: each service's domain and adapters, the shared runtime, the CLI. Tests,
# benchmarks and test helpers are left out: gtest's macros trip the core-guidelines checks in
# every test and would bury what matters.
SELECT = re.compile(r"^(services/[a-z_]+/(src|adapters)/[^/]+\.cc|tools/advocacyctl/[^/]+\.cc)$")


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "advocacy", "clang-tidy")
    os.makedirs(path, exist_ok=True)
    return path


def arguments(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    if os.path.basename(args[0]) == "ccache":
        args = args[1:]
    return args


def preprocess_command(entry):
    args = arguments(entry)
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD"):
            continue
        out.append(a)
    return out + ["-E", "-o", "-"]


def fingerprint(entry, tidy_version, tidy_config):
    pre = subprocess.run(preprocess_command(entry), cwd=entry["directory"], capture_output=True)
    if pre.returncode != 0:
        return None
    h = hashlib.sha256()
    h.update(tidy_version.encode())
    h.update(tidy_config)
    flags = " ".join(arguments(entry)).replace(REPO, "@ROOT@")
    flags = re.sub(r"-o \S+", "", flags)
    h.update(flags.encode())
    h.update(pre.stdout.replace(REPO.encode(), b"@ROOT@"))
    return h.hexdigest()


def run_one(entry, build_dir, tidy_version, tidy_config, use_cache):
    rel = os.path.relpath(entry["file"], REPO)
    key = fingerprint(entry, tidy_version, tidy_config) if use_cache else None
    marker = os.path.join(cache_dir(), key) if key else None
    if marker and os.path.exists(marker):
        return rel, True, "", True
    proc = subprocess.run(
        ["clang-tidy", "-p", build_dir, "--quiet", "--warnings-as-errors=*", entry["file"]],
        capture_output=True, text=True)
    # Only diagnostics in project files count; clang-tidy prints a summary line to stderr.
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    ok = proc.returncode == 0 and not any(": error:" in l or ": warning:" in l for l in lines)
    if ok and marker:
        with open(marker, "w") as f:
            f.write(rel + "\n")
    return rel, ok, proc.stdout, False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", nargs="*", help="files (relative to the repository) to check")
    parser.add_argument("--no-cache", action="store_true")
    opts = parser.parse_args()
    build_dir = os.path.abspath(opts.build_dir)
    db_path = os.path.join(build_dir, "compile_commands.json")
    if not os.path.exists(db_path):
        sys.exit(f"clang-tidy: {db_path} is missing; build first (deploy/local/build.sh)")
    with open(db_path) as f:
        db = json.load(f)
    entries = {}
    for e in db:
        rel = os.path.relpath(os.path.join(e["directory"], e["file"]), REPO)
        e["file"] = os.path.join(REPO, rel)
        if SELECT.match(rel) and (not opts.only or rel in opts.only):
            entries[rel] = e
    if not entries:
        sys.exit("clang-tidy: no files selected")
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    with open(os.path.join(REPO, ".clang-tidy"), "rb") as f:
        config = f.read()
    print(f"[advocacy] lint: clang-tidy on {len(entries)} files ({opts.jobs} at a time)", flush=True)
    failed, cached = [], 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        futures = [pool.submit(run_one, e, build_dir, version, config, not opts.no_cache)
                   for e in entries.values()]
        for fut in concurrent.futures.as_completed(futures):
            rel, ok, output, hit = fut.result()
            cached += hit
            if not ok:
                failed.append(rel)
                print(output, flush=True)
    print(f"[advocacy] lint: clang-tidy: {len(entries) - len(failed)} clean "
          f"({cached} from the cache), {len(failed)} with findings", flush=True)
    if failed:
        print("files with findings:\n  " + "\n  ".join(sorted(failed)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
