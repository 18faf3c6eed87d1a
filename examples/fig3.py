"""Fig. 3 of the VQ-Kernel paper: heat-kernel cosine similarities, 4- vs 6-layer MLPs, trained vs initial.

    python examples/fig3.py --out examples/output [--seeds 3] [--fast]

A thin wrapper: the figure code lives in vqgeom.figures.fig3 (so that `vqgeom figures`
works from an installed package). Writes fig3.png and fig3.json into --out.
"""

import sys

from _common import main

if __name__ == "__main__":
    sys.exit(main("fig3", sys.argv[1:]))
