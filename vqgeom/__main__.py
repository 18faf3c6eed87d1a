import sys

from vqgeom.cli import main

sys.exit(main())
