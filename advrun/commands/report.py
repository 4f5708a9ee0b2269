"""``advrun report <sweep dir>``: compare the members of a sweep.

Prints one row per member (the overrides that differ between members, status, final
and best eval return, steps, wall time), best final return first, failed members
last with their error; then the IQM of the final eval return per group with a 95%
stratified-bootstrap CI (strata: ``env.id``; resamples draw seeds within each env);
and writes a PNG of eval-return curves per group (mean and 95% bootstrap band across
seeds). Groups are the values of ``--group-by`` (an override or config key, e.g.
``advantage``, ``advantage.gamma``, ``optimizer.lr``). Not a Hydra app: it reads
directories that ``advrun train -m`` wrote.

For docs: ``--records FILE`` saves each member's record (overrides, seed, eval curve,
final/best return, steps, wall time; :mod:`advrun.sweeps.records`) as compact JSON, and
``--from-records FILE... --markdown OUT.md [--split-by env.id] --out PREFIX`` renders
tables and one IQM-curve PNG per split from such files alone (no run dirs needed),
byte-identically on re-render (:mod:`advrun.sweeps.render`).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections import defaultdict
from pathlib import Path

from advrun.commands import errors
from advrun.sweeps.members import Member, eval_curve, find_members, varying_overrides
from advrun.sweeps.stats import iqm, stratified_bootstrap_ci


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="advrun report",
        description="Compare the members of a sweep: table, IQM with bootstrap CIs, "
        "learning-curve PNG.",
    )
    p.add_argument("sweep_dir", type=Path, nargs="?", help="a directory written by advrun train -m")
    p.add_argument("--records", type=Path, help="write the members' records to this JSON file")
    p.add_argument(
        "--from-records",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="render from records files (written by --records) instead of a sweep dir",
    )
    p.add_argument("--markdown", type=Path, help="write tables (and PNG links) into this .md")
    p.add_argument("--split-by", default=None, help="one table and PNG per value, e.g. env.id")
    p.add_argument("--section", default="results", help="markdown block name (default results)")
    p.add_argument("--target", type=float, default=None, help="solve target (default: env's)")
    p.add_argument("--seeds", action="store_true", help="also list every seed in the markdown")
    p.add_argument(
        "--keys",
        default="",
        help="with --records: extra config keys to keep per record, comma-separated "
        "(e.g. algo.epochs,algo.recompute_advantages)",
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="render only the records with this key value (repeatable)",
    )
    p.add_argument(
        "--group-by",
        default=None,
        help="override/config key whose values form the groups (default: the first key "
        "that varies other than seed)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="PNG path (default: <sweep dir>/report.png); with --markdown, a prefix: "
        "<out>_<split>.png",
    )
    p.add_argument("--no-plot", action="store_true", help="table and IQM only")
    p.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (default 2000)")
    return p


def _fmt(x: float, digits: int = 1) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def default_group_key(members: list[Member]) -> str:
    keys: list[str] = []
    for names in varying_overrides(members):
        for item in names:
            key = item.lstrip("+~").partition("=")[0]
            if key != "seed" and key not in keys:
                keys.append(key)
    return keys[0] if keys else "seed"


def table(members: list[Member]) -> str:
    labels = [" ".join(v) or "(no overrides)" for v in varying_overrides(members)]
    rows = sorted(
        zip(members, labels, strict=True),
        key=lambda ml: (
            ml[0].status != "completed",
            -ml[0].number("final_eval_return")
            if math.isfinite(ml[0].number("final_eval_return"))
            else math.inf,
        ),
    )
    width = max([len("member")] + [len(label) for label in labels])
    head = (
        f"{'member':<{width}}  {'status':<10} {'final':>8} {'best':>8} {'steps':>9} {'wall s':>8}"
    )
    lines = [head, "-" * len(head)]
    for member, label in rows:
        steps = member.summary.get("steps")
        lines.append(
            f"{label:<{width}}  {member.status:<10} "
            f"{_fmt(member.number('final_eval_return')):>8} "
            f"{_fmt(member.number('best_eval_return')):>8} "
            f"{steps if steps is not None else '-':>9} "
            f"{_fmt(member.number('wall_time_s')):>8}"
        )
        if member.status != "completed":
            lines.append(f"{'':<{width}}    ↳ {member.summary.get('error', 'no summary.json')}")
    return "\n".join(lines)


def grouped(members: list[Member], key: str) -> dict[str, list[Member]]:
    groups: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        groups[str(m.value(key))].append(m)
    return dict(sorted(groups.items()))


def iqm_by_group(
    groups: dict[str, list[Member]], reps: int
) -> dict[str, tuple[float, float, float, int]]:
    out = {}
    for label, ms in groups.items():
        strata: dict[str, list[float]] = defaultdict(list)
        for m in ms:
            score = m.number("final_eval_return")
            if m.status == "completed" and math.isfinite(score):
                strata[str(m.value("env.id"))].append(score)
        runs = sum(len(s) for s in strata.values())
        point, lo, hi = stratified_bootstrap_ci(list(strata.values()), iqm, reps=reps)
        out[label] = (point, lo, hi, runs)
    return out


def _fail(message: str) -> None:
    sys.stderr.write(f"advrun report: {message}\n")
    raise SystemExit(errors.EXIT_BAD_INPUT)


def _render(args: argparse.Namespace, records: list, argv: list[str], sources: list[str]) -> None:
    from advrun.sweeps.render import render
    from advrun.sweeps.summary import default_group_key as records_group_key

    records = [r for r in records if r.matches(args.where)]
    if not records:
        _fail(f"no records to render{' with ' + ' '.join(args.where) if args.where else ''}.")
    key = args.group_by or records_group_key(records, args.split_by)
    prefix = None if args.no_plot else (args.out or args.markdown.with_suffix(""))
    try:
        written = render(
            records,
            split_by=args.split_by,
            group_by=key,
            markdown=args.markdown,
            prefix=prefix,
            command="advrun report " + shlex.join(argv),
            sources=sources,
            section=args.section,
            target=args.target,
            seeds=args.seeds,
            reps=args.reps,
        )
    except ModuleNotFoundError:
        _fail('the plot needs matplotlib: pip install "advrun[report]"')
    for path in written:
        print(f"wrote {path}")


def _from_records(args: argparse.Namespace, argv: list[str]) -> None:
    from advrun.sweeps.records import read_records

    if args.sweep_dir is not None or args.markdown is None:
        _fail("--from-records renders markdown: give --markdown OUT.md and no sweep dir.")
    records = []
    for path in args.from_records:
        try:
            records.extend(read_records(path))
        except (OSError, ValueError) as err:
            _fail(f"cannot read records from {path}: {err}")
    _render(args, records, argv, [str(p) for p in args.from_records])


def report(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.from_records:
        _from_records(args, argv)
        return
    if args.sweep_dir is None:
        _fail("give a sweep dir (advrun report <dir>) or --from-records FILE.")
    if not args.sweep_dir.is_dir():
        sys.stderr.write(f"advrun report: {args.sweep_dir} is not a directory.\n")
        raise SystemExit(errors.EXIT_BAD_INPUT)
    members = find_members(args.sweep_dir)
    if not members:
        sys.stderr.write(
            f"advrun report: no sweep members under {args.sweep_dir} (a member is a "
            "directory with .hydra/overrides.yaml; pass the hydra.sweep.dir of advrun "
            "train -m).\n"
        )
        raise SystemExit(errors.EXIT_BAD_INPUT)
    key = args.group_by or default_group_key(members)
    print(f"{len(members)} members in {args.sweep_dir}\n")
    print(table(members))
    groups = grouped(members, key)
    stats = iqm_by_group(groups, args.reps)
    print(f"\nIQM of final eval return by {key} (95% stratified bootstrap CI, {args.reps} reps):")
    for label, (point, lo, hi, runs) in stats.items():
        print(f"  {key}={label:<12} {_fmt(point, 2):>8}  [{_fmt(lo, 2)}, {_fmt(hi, 2)}]  n={runs}")
    if args.records or args.markdown:
        from advrun.sweeps.records import from_member, write_records

        extra = tuple(k for k in args.keys.split(",") if k)
        records = [from_member(m, extra) for m in members]
        if args.records:
            write_records(args.records, records, source=args.sweep_dir.name)
            print(f"\nwrote {len(records)} records to {args.records}")
        if args.markdown:
            source = str(args.records) if args.records else str(args.sweep_dir)
            _render(args, records, argv, [source])
        return
    if args.no_plot:
        return
    try:
        from advrun.sweeps.plot import Group, plot_report
    except ImportError:
        sys.stderr.write('advrun report: the plot needs matplotlib: pip install "advrun[report]"\n')
        raise SystemExit(errors.EXIT_BAD_INPUT) from None
    import numpy as np

    plot_groups = []
    for label, ms in groups.items():
        curves = []
        for m in ms:
            if m.status != "completed":
                continue
            steps, values = eval_curve(m.path)
            curves.append((np.asarray(steps, float), np.asarray(values, float)))
        point, lo, hi, runs = stats[label]
        plot_groups.append(Group(label, curves, (point, lo, hi), runs))
    out = args.out or args.sweep_dir / "report.png"
    try:
        plot_report(plot_groups, key, f"advrun report: {args.sweep_dir.name}", out)
    except ModuleNotFoundError:
        sys.stderr.write('advrun report: the plot needs matplotlib: pip install "advrun[report]"\n')
        raise SystemExit(errors.EXIT_BAD_INPUT) from None
    print(f"\nwrote {out}")
