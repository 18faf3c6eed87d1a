"""Fig. 5 of the VQ-Kernel paper: shallow vs deep networks with the same partition: d vs d_Omega.

    python examples/fig5.py --out examples/output [--seeds 3] [--fast]

A thin wrapper: the figure code lives in vqgeom.figures.fig5 (so that `vqgeom figures`
works from an installed package). Writes fig5.png and fig5.json into --out.
"""

import sys

from _common import main

if __name__ == "__main__":
    sys.exit(main("fig5", sys.argv[1:]))
