"""``vqgeom verify``: run every claim on the built-in catalogue and print a table.

Exit code 0 when every claim holds where its hypotheses hold and every case with a dropped
hypothesis shows its violation; 1 otherwise; 2 for a usage error.
"""

from __future__ import annotations

import sys
import time

from vqgeom.cli._parallel import add_executor_options, executor_of

__all__ = ["add_parser", "run", "run_catalogue", "outcome"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option

    p = sub.add_parser(
        "verify", help="check Lemma 1, Lemma 2 and the sawtooth on the built-in catalogue (exact)",
        description="Check every claim exhaustively and exactly on the built-in catalogue: "
                    "arrangements (D = 1, 2, 3, general position or not), generic deep networks, "
                    "the sawtooth variants, and the cases where a hypothesis is dropped (which must "
                    "show their violation). Exit 0 when all behave as the corrected statements say.")
    p.add_argument("names", nargs="*", metavar="NAME", help="run only these catalogue entries")
    p.add_argument("--claim", choices=("lemma1", "lemma2", "sawtooth"), help="run only this claim")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    add_json_option(p, "the report (the table then goes to stderr)")
    p.add_argument("--markdown", metavar="FILE", help="write the report as a Markdown table")
    p.add_argument("--witnesses", action="store_true", help="print the first witness of each violation")
    add_executor_options(p, "--executor")
    return p


def outcome(entry, verdict) -> str:
    """``"holds"``, ``"violated as expected"`` or ``"FAILED"`` for a catalogue entry's verdict."""
    if entry.expect_holds:
        ok = verdict.holds and verdict.hypotheses_met == entry.hypotheses_expected
        return "holds" if ok else "FAILED"
    if verdict.holds:
        return "FAILED"
    if entry.relaxed is not None and verdict.hypotheses.get(entry.relaxed, True):
        return "FAILED"  # violated, but the checker did not see the dropped hypothesis
    return "violated as expected"


def _hyp_text(v) -> str:
    bad = v.failed_hypotheses
    return "all" if not bad else "no: " + ", ".join(bad)


def _check_entry(name):
    """Check one catalogue entry (a job for a worker): its verdict and the seconds it took."""
    from vqgeom.lemmas.claims import get_entry

    t = time.perf_counter()
    v = get_entry(name).check()
    return v, time.perf_counter() - t


def run_catalogue(names=None, claim=None, progress=None, executor=None) -> list:
    """Run the selected catalogue entries; a list of (entry, verdict, outcome, seconds).

    With an ``executor`` (see :mod:`vqgeom._executor`) the entries are checked in parallel
    and reported in catalogue order, as serially; ``seconds`` is each check's own time."""
    from vqgeom._executor import job_runner
    from vqgeom.lemmas.claims import CATALOGUE, get_entry

    entries = [get_entry(n) for n in names] if names else list(CATALOGUE.values())
    if claim:
        entries = [e for e in entries if e.claim == claim]
    rows = []
    with job_runner(executor) as runner:
        names = [e.name for e in entries]
        results = (map(_check_entry, names) if runner is None
                   else runner.run_ordered(_check_entry, names))
        for e, (v, dt) in zip(entries, results):
            rows.append((e, v, outcome(e, v), dt))
            if progress is not None:
                progress(rows[-1])
    return rows


def _markdown(rows, total) -> str:
    lines = ["# vqgeom verify", "",
             "| claim | network | hypotheses met | pairs checked | d<dΩ | d=dΩ | d>dΩ | result | time (s) |",
             "|---|---|---|---:|---:|---:|---:|---|---:|"]
    for e, v, res, dt in rows:
        lines.append(f"| {e.claim} | {e.name} | {_hyp_text(v)} | {v.pairs_checked} | {v.n_less} | "
                     f"{v.n_equal} | {v.n_greater} | {res} | {dt:.2f} |")
    failed = sum(r[2] == "FAILED" for r in rows)
    lines += ["", f"{len(rows)} cases, {failed} failed, {total:.1f} s."]
    for e, v, res, dt in rows:
        if v.violations:
            lines.append(f"- **{e.name}**: {v.violations[0].describe()}")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from vqgeom._paths import check_output_file, write_text_atomic
    from vqgeom.cli._common import check_json_target, emit_json, text_stream
    from vqgeom.lemmas.claims import CATALOGUE

    check_json_target(args)
    if args.markdown is not None:
        check_output_file(args.markdown, "--markdown")
    text = text_stream(args)
    if args.list:
        if args.json:
            emit_json(args, [dict(name=e.name, claim=e.claim, expect_holds=e.expect_holds,
                                  relaxed=e.relaxed, description=e.description)
                             for e in CATALOGUE.values()], indent=1)
            return 0
        for e in CATALOGUE.values():
            tag = "holds" if e.expect_holds else f"drops {e.relaxed}"
            print(f"{e.name:34} {e.claim:9} {tag:30} {e.description}")
        return 0
    widths = (9, 34, 28, 8, 22, 7)
    head = ("claim", "network", "hypotheses met", "pairs", "result", "time")
    print("  ".join(f"{h:<{w}}" for h, w in zip(head, widths)), file=text)

    def show(row):
        e, v, res, dt = row
        cells = (e.claim, e.name, _hyp_text(v), str(v.pairs_checked), res, f"{dt:.2f}s")
        print("  ".join(f"{c:<{w}}" for c, w in zip(cells, widths)), file=text, flush=True)
        if args.witnesses and v.violations:
            print(f"    {v.violations[0].describe()}", file=text)

    start = time.perf_counter()
    rows = run_catalogue(args.names or None, args.claim, progress=show,
                         executor=executor_of(args, "--executor"))
    total = time.perf_counter() - start
    failed = [r for r in rows if r[2] == "FAILED"]
    print(f"\n{len(rows)} cases in {total:.1f} s: "
          f"{sum(r[2] == 'holds' for r in rows)} hold, "
          f"{sum(r[2] == 'violated as expected' for r in rows)} violated as expected, {len(failed)} FAILED",
          file=text)
    for e, v, res, dt in failed:
        print(f"FAILED {e.name}:\n{v.summary()}", file=sys.stderr)
    if args.json:
        doc = {"cases": [dict(name=e.name, description=e.description, expect_holds=e.expect_holds,
                              relaxed=e.relaxed, result=res, seconds=round(dt, 4), verdict=v.to_dict())
                         for e, v, res, dt in rows],
               "n_failed": len(failed), "seconds": round(total, 3), "ok": not failed}
        emit_json(args, doc, indent=1)
    if args.markdown:
        write_text_atomic(args.markdown, _markdown(rows, total), "--markdown")
    return 1 if failed else 0
