"""Fig. 1 of the VQ-Kernel paper: two moons: VQ-Kernel eigenvectors on a 96x96 grid, plain and rotated.

    python examples/fig1.py --out examples/output [--seeds 3] [--fast]

A thin wrapper: the figure code lives in vqgeom.figures.fig1 (so that `vqgeom figures`
works from an installed package). Writes fig1.png and fig1.json into --out.
"""

import sys

from _common import main

if __name__ == "__main__":
    sys.exit(main("fig1", sys.argv[1:]))
