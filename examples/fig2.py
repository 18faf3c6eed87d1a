"""Fig. 2 of the VQ-Kernel paper: high-dimensional two moons: MDS of the VQ-Kernel vs of the Euclidean distance.

    python examples/fig2.py --out examples/output [--seeds 3] [--fast]

A thin wrapper: the figure code lives in vqgeom.figures.fig2 (so that `vqgeom figures`
works from an installed package). Writes fig2.png and fig2.json into --out.
"""

import sys

from _common import main

if __name__ == "__main__":
    sys.exit(main("fig2", sys.argv[1:]))
