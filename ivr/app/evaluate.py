"""`ivr eval`: the hearing classifier scored on the labelled evaluation sets, with the engine's own listener."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING

from ivr.app.printing import table
from ivr.app.progress import Progress
from ivr.app.wiring import load
from ivr.errors import IvrError
from ivr.signal.hearing import HearingThresholds

if TYPE_CHECKING:
    from ivr.engine.listener import ListenSettings
    from ivr.eval.dataset import Item
    from ivr.eval.scoring import Result


def evaluate(args: argparse.Namespace) -> int:
    from ivr.eval import dataset, scoring

    if args.lead is not None and not 0 <= args.lead <= 60:  # also refuses nan
        raise IvrError(f"--lead: {args.lead:g} s is out of range (0-60 s)")
    flow = load(args.flow)
    thresholds = flow.hearing
    results: dict[str, list[Result]] = {}
    for which in dataset.SETS:
        items = list(dataset.build(args.split, which, lead_s=args.lead))
        if args.write is not None:
            dataset.write(items, args.write / which)
            print(f"wrote {len(items)} {which} recordings and labels.csv to {args.write / which}")
        results[which] = _hear(items, f"eval {args.split} {which}", thresholds, flow.listening)
    lead = "" if args.lead is None else f"; {args.lead:g} s of line before each caller"
    print(f"{args.split} split{lead}; thresholds of flow '{flow.name}':")
    print(thresholds_table(thresholds))
    for which, found in results.items():
        print()
        print(f"{which} set, {len(found)} recordings:")
        print(matrix_table(scoring.confusion(found, thresholds)))
    if args.derive:
        dev = [r for which in dataset.SETS for r in results[which]] if args.split == "dev" else []
        if not dev:
            for which in dataset.SETS:
                dev += _hear(
                    list(dataset.build("dev", which, lead_s=args.lead)), f"eval dev {which}", thresholds, flow.listening
                )
        print()
        print("derived on the dev split (clean and overlap sets):")
        print(thresholds_table(scoring.derive(dev)))
    return 0


def _hear(items: list[Item], label: str, thresholds: HearingThresholds, listening: ListenSettings) -> list[Result]:
    """The listener's first report on each item, with a progress bar."""
    from ivr.eval import scoring

    bar = Progress(label)
    out = scoring.evaluate(items, thresholds, listening, progress=lambda i, item: bar.update(i, len(items), item.name))
    bar.done()
    return out


def thresholds_table(t: HearingThresholds) -> str:
    rows = [[k, f"{v:g}"] for k, v in asdict(t).items()]
    rows.append(["loud_line_db (nominal caller -26 dBFS less noisy_snr_db)", f"{t.loud_line_db:g}"])
    return table(["threshold", "value"], rows)


def matrix_table(matrix: dict[str, dict[str, int]]) -> str:
    from ivr.eval.dataset import LABELS
    from ivr.eval.scoring import accuracy

    acc = accuracy(matrix)
    header = ["truth / predicted", *LABELS, "accuracy"]
    rows = [[truth, *(row[p] for p in LABELS), f"{acc[truth]:.1%}"] for truth, row in matrix.items()]
    return table(header, rows)
