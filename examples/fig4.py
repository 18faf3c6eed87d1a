"""Fig. 4 of the VQ-Kernel paper: the same across a sigma^2 sweep.

    python examples/fig4.py --out examples/output [--seeds 3] [--fast]

A thin wrapper: the figure code lives in vqgeom.figures.fig4 (so that `vqgeom figures`
works from an installed package). Writes fig4.png and fig4.json into --out.
"""

import sys

from _common import main

if __name__ == "__main__":
    sys.exit(main("fig4", sys.argv[1:]))
