"""`--against REV`: run a bench here and at another commit on this machine, interleaved.

Every bench in bench/ takes it:

    .venv/bin/python bench/bench_pin.py --pins 300 --against e1a59bb [--rounds 2]

REV is checked out once into a scratch worktree, var/against/<commit> (`git worktree add
--detach`), and keeps it for the next run. Its venv: this tree's when REV pins the same
requirements-dev.lock, or pins none (the first builds had no lock: they run on this tree's
libraries, so the figures compare the code alone); otherwise its own, installed from its lock with
pip (its cache holds the wheels this tree's install fetched). REV's code comes first on its
PYTHONPATH, so a shared venv's editable install of this tree is never imported.

Its database is its own: DATABASE_URL's name + `_at_<commit>`, migrated and loaded with the demo
by REV's own command line before the first run (a bench that makes scratch databases names them
after it, so they never meet this tree's). This tree runs on DATABASE_URL as the bench says.

The two run in turns, this tree first: A B A B for --rounds 2. On a shared machine the load
changes by the minute; turns put both commits under the same load, and each figure is the
median of its rounds. Each bench runs as its own process with its own arguments (minus
--against and --rounds), and every number it prints is a figure: a figure is named by its
line's section (an unindented `name:` line), the text before it on the line, and the
occurrence of that line shape; both commits must print the same lines for them to meet.
BENCH_RESULTS=<file> appends the figures as JSON lines (bench/suite.py writes the table).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "against"
LOCK = "requirements-dev.lock"

# A number with its unit; a number glued to a word (z14, EPSG:4547, p50) is part of a name.
_NUMBER = re.compile(
    r"(?<![\w.:/-])(-?\d[\d,]*(?:\.\d+)?)(?![\w.])(?:\s*(ms|s|KB|MB|B|bytes|req/s|x|%)\b)?"
)
_COUNTED = re.compile(r"\s+([A-Za-z][\w-]*)")
_SECTION = re.compile(r"^([^\s:][^:]*):")


@dataclass
class Figure:
    section: str
    label: str
    unit: str
    values: dict[str, list[float]] = field(default_factory=dict)


def requested(argv: list[str]) -> bool:
    return any(a == "--against" or a.startswith("--against=") for a in argv)


def _split(argv: list[str]) -> tuple[str, int, list[str]]:
    rev, rounds, rest = "", 2, []
    args = iter(argv)
    for a in args:
        name, eq, value = a.partition("=")
        if name in ("--against", "--rounds"):
            given = value if eq else next(args, "")
            if name == "--against":
                rev = given
            else:
                rounds = int(given)
        else:
            rest.append(a)
    if not rev or rounds < 1:
        raise SystemExit("usage: --against REV [--rounds N] (N >= 1)")
    return rev, rounds, rest


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(rev: str) -> tuple[str, Path]:
    """REV's commit and its scratch worktree (made once, then reused)."""
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = SCRATCH / commit[:12]
    if not (tree / ".git").exists():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        _git("worktree", "add", "--detach", str(tree), commit)
    return commit, tree


def venv_python(tree: Path) -> tuple[Path, str]:
    """The python REV runs with, and how its venv was made."""
    ours, theirs = ROOT / LOCK, tree / LOCK
    venv = tree / ".venv"
    if not theirs.exists() or theirs.read_bytes() == ours.read_bytes():
        how = "no lock at REV: this tree's venv" if not theirs.exists() else "same lock: shared"
        if not venv.exists():
            venv.symlink_to(ROOT / ".venv")
        return venv / "bin" / "python", how
    if not (venv / ".installed").exists():
        pip = str(venv / "bin" / "pip")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([pip, "install", "-q", "--require-hashes", "-r", str(theirs)], check=True)
        subprocess.run([pip, "install", "-q", "--no-deps", "-e", str(tree)], check=True)
        (venv / ".installed").touch()
    return venv / "bin" / "python", "own venv from its lock"


def _cli_call(tree: Path, *args: str) -> list[str]:
    """REV's `yishiting` command, called through its own entry point (it moved over time)."""
    scripts = tomllib.loads((tree / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["yishiting"].partition(":")
    code = f"import sys; from {module} import {function} as m; sys.argv[0] = 'yishiting'; m()"
    return ["-c", code, *args]


def rev_environment(tree: Path, commit: str) -> dict[str, str]:
    url = make_url(os.environ.get("DATABASE_URL", _default_url()))
    name = f"{url.database or 'yishiting'}_at_{commit[:8]}"
    own = url.set(database=name).render_as_string(hide_password=False)
    return {**os.environ, "DATABASE_URL": own, "PYTHONPATH": str(tree)}


def _default_url() -> str:
    from geo.core.settings import Settings

    return Settings().database_url


def prepare_database(python: Path, tree: Path, env: dict[str, str]) -> None:
    """Creates REV's database (with this tree's code: early commits left that to `make db`),
    then migrates and loads it with REV's own command line."""
    from geo.core.databases import ensure_database

    ensure_database(env["DATABASE_URL"])
    for args in (("migrate",), ("load-demo", "--if-empty", "--quiet")):
        run = subprocess.run(
            [str(python), *_cli_call(tree, *args)], cwd=tree, env=env, capture_output=True
        )
        if run.returncode != 0:
            sys.stderr.write(run.stdout.decode() + run.stderr.decode())
            raise SystemExit(f"REV's `yishiting {' '.join(args)}` failed")


def figures(output: str) -> dict[tuple[str, str, int], tuple[str, float]]:
    """Every number of a bench's output, named (section, label, occurrence) -> (unit, value)."""
    found: dict[tuple[str, str, int], tuple[str, float]] = {}
    seen: dict[tuple[str, str], int] = {}
    section = ""
    for line in output.splitlines():
        head = _SECTION.match(line)
        if head:
            section = head.group(1).strip()
        matches = list(_NUMBER.finditer(line))
        start = 0
        lead = line[: matches[0].start()].strip() if matches else ""
        for m in matches:
            between = " ".join(line[start : m.start()].split())
            label = between if start == 0 else f"{_first_word(lead)} {between}".strip()
            counted = _COUNTED.match(line, m.end())
            if counted and not m.group(2):  # "394 compounds": the word after names it
                label = counted.group(1)
            start = m.end()
            key = (section, label)
            seen[key] = seen.get(key, 0) + 1
            found[(section, label, seen[key])] = (
                m.group(2) or "",
                float(m.group(1).replace(",", "")),
            )
    return found


def _first_word(lead: str) -> str:
    return lead.split(":")[0].split()[0] if lead.split() else ""


def run_once(python: Path, script: Path, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    run = subprocess.run(
        [str(python), str(script), *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"{script} failed in {cwd}")
    return run.stdout


def compare(script: Path, argv: list[str]) -> int:
    """Run `script` here and at REV in turns; print both figures and their ratio."""
    rev, rounds, rest = _split(argv)
    commit, tree = checkout(rev)
    theirs = tree / "bench" / script.name
    if not theirs.exists():
        print(f"{script.name} does not exist at {commit[:10]}: run here only", flush=True)
        print(run_once(Path(sys.executable), script, rest, ROOT, dict(os.environ)))
        return 0
    python, how = venv_python(tree)
    env = rev_environment(tree, commit)
    prepare_database(python, tree, env)
    here = _git("rev-parse", "--short=10", "HEAD") + ("+" if _git("status", "--porcelain") else "")
    sides = {"this": (Path(sys.executable), script, ROOT, dict(os.environ)),
             "rev": (python, theirs, tree, env)}  # fmt: skip
    table: dict[tuple[str, str, int], Figure] = {}
    for turn in range(rounds):
        for side, (py, path, cwd, side_env) in sides.items():
            print(f"== round {turn + 1}/{rounds}: {side}", flush=True)
            out = run_once(py, path, rest, cwd, side_env)
            print("   " + out.strip().replace("\n", "\n   "), flush=True)
            for key, (unit, value) in figures(out).items():
                figure = table.setdefault(key, Figure(key[0], key[1], unit))
                figure.values.setdefault(side, []).append(value)
    print(f"\n{script.name} {' '.join(rest)}: this tree {here} vs {rev} ({commit[:10]}; {how}),")
    print(f"{rounds} rounds each, interleaved, median of the rounds; ratio = this / {rev}")
    print(f"  {'figure':70} {rev[:10]:>10} {'this':>10} {'unit':5} {'ratio':>7}")
    rows = []
    for (section, label, n), fig in table.items():
        if len(fig.values) < 2 or len(fig.values["this"]) != len(fig.values["rev"]):
            continue
        a, b = statistics.median(fig.values["this"]), statistics.median(fig.values["rev"])
        name = f"{section} · {label}" if section else label
        name += f" #{n}" if n > 1 else ""
        ratio = a / b if b else float("nan")
        print(f"  {name[:70]:70} {b:10.2f} {a:10.2f} {fig.unit:5} {ratio:6.2f}x")
        rows.append({"figure": name, "unit": fig.unit, "rev": b, "this": a, "ratio": ratio})
    if out_file := os.environ.get("BENCH_RESULTS"):
        with open(out_file, "a") as f:
            record = {"bench": script.name, "args": rest, "rev": rev, "rev_commit": commit,
                      "this_commit": here, "rounds": rounds, "venv": how, "rows": rows}  # fmt: skip
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0
