"""Exact enumeration of the activation partition Omega and its facet-adjacency graph."""

from vqgeom.regions.boxunion import BoxUnion
from vqgeom.regions.domain import Box, Whole, as_domain
from vqgeom.regions.engines import ENGINES, enumerate_regions
from vqgeom.regions.partition import Partition

__all__ = ["Box", "BoxUnion", "Whole", "Partition", "as_domain", "enumerate_regions", "ENGINES"]
