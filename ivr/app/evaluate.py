"""`ivr eval`: the hearing classifier scored on the labelled evaluation set, with the engine's own listener."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ivr.app.printing import table
from ivr.app.progress import Progress
from ivr.app.wiring import load


def evaluate(args: argparse.Namespace) -> int:
    from ivr.eval import dataset

    flow = load(args.flow)
    thresholds = flow.hearing
    items = list(dataset.build(args.split))
    if args.write is not None:
        dataset.write(items, args.write)
        print(f"wrote {len(items)} recordings and labels.csv to {args.write}")
    bar = Progress(f"eval {args.split}")
    results = []
    for i, item in enumerate(items, 1):
        results.append(dataset.Result(item, dataset.hear(item.audio, flow.listening)))
        bar.update(i, len(items), item.name)
    bar.done()
    print(f"{args.split} split: {len(items)} recordings; thresholds of flow '{flow.name}':")
    print(table(["threshold", "value"], [[k, f"{v:g}"] for k, v in asdict(thresholds).items()]))
    print()
    matrix = dataset.confusion(results, thresholds)
    acc = dataset.accuracy(matrix)
    header = ["truth / predicted", *dataset.LABELS, "accuracy"]
    rows = [[truth, *(row[p] for p in dataset.LABELS), f"{acc[truth]:.1%}"] for truth, row in matrix.items()]
    print(table(header, rows))
    if args.derive:
        dev = (
            results if args.split == "dev" else [dataset.Result(i, dataset.hear(i.audio)) for i in dataset.build("dev")]
        )
        derived = dataset.derive(dev)
        print()
        print("derived on the dev split:")
        print(table(["threshold", "value"], [[k, f"{v:g}"] for k, v in asdict(derived).items()]))
    return 0
