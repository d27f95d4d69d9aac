"""python -m synthloop.estimate CONFIG [--gpu h100|h200|a100] [--calibration FILE] [--json]"""

from __future__ import annotations

import argparse
import json
import sys

from synthloop.core.config import ConfigError, read_yaml
from synthloop.estimate import DEVICES, estimate
from synthloop.estimate.calibration import load
from synthloop.estimate.report import text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m synthloop.estimate",
        description="Jobs, GPU-hours, CPU-hours, GPU memory and disk of a study, per rule, from its config (no Snakemake DAG is built).",
    )
    parser.add_argument("config", help="a study config (a preset, config.yaml)")
    parser.add_argument(
        "--gpu",
        default="h200",
        help=f"the GPU kind the GPU jobs run on: {', '.join(DEVICES)} in the shipped calibration, "
        "or any device a calibration file has (default h200, where this project measured)",
    )
    parser.add_argument("--calibration", help="a calibration file (default: the shipped one; bench/calibrate.py writes one)")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON (what the manifest records)")
    args = parser.parse_args(argv)
    from synthloop.studies import validate

    try:
        calibration = load(args.calibration)
        if args.gpu not in calibration.devices():
            parser.error(f"--gpu {args.gpu!r}: calibration {calibration.origin} has entries for {calibration.devices()}")
        result = estimate(validate(read_yaml(args.config)), args.gpu, calibration)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.record(), indent=2) if args.json else text(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
