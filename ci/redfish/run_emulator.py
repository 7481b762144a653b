#!/usr/bin/env python3
"""Start sushy-emulator (sushy-tools), optionally with a seeded random generator.

Usage: run_emulator.py [--seed N] [--] <sushy-emulator arguments>

Run it with the Python of the venv made by ci/redfish/setup.sh. The fake driver applies a
power change 1 to 11 s after the request, drawing the delay from Python's global random
generator; with a seed the sequence of delays is reproducible, so two emulators started with
the same seed delay the same sequence of power changes alike (the request-count comparison
between Aerostat and sushy relies on it). Without --seed the emulator runs unchanged.
"""
import random
import sys


def main():
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--seed":
        random.seed(int(args[1]))
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    sys.argv = ["sushy-emulator"] + args
    from sushy_tools.emulator.main import main as emulator_main

    return emulator_main()


if __name__ == "__main__":
    sys.exit(main())
