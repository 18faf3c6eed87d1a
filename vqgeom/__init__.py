"""vqgeom: the exact geometry of ReLU networks.

Activation codes, VQ distances and VQ-Kernels for any network and any number of points;
exact enumeration of the activation partition Omega, its facet-adjacency graph and the
partition distance d_Omega; checks of the VQ-Kernel paper's lemmas with exact witnesses.

Importing vqgeom is cheap: names are loaded from their submodules on first use (torch and
matplotlib are imported only by the functions that need them).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS = {
    # network model
    "Network": "vqgeom.network",
    "Layer": "vqgeom.network",
    "Readout": "vqgeom.network",
    "load_network": "vqgeom.network",
    # codes and kernels
    "activation_codes": "vqgeom.codes",
    "Codes": "vqgeom.codes",
    "vq_distance": "vqgeom.kernels",
    "vq_kernel": "vqgeom.kernels",
    "heat_kernel": "vqgeom.heat",
    "kernel_cosine": "vqgeom.heat",
    "SigmaSweep": "vqgeom.heat",
    "pairwise_kernel_cosine": "vqgeom.heat",
    "median_heuristic": "vqgeom.heat",
    "compare_partitions": "vqgeom.compare",
    "mds_embedding": "vqgeom.embedding",
    # regions
    "Box": "vqgeom.regions",
    "Whole": "vqgeom.regions",
    "Partition": "vqgeom.regions",
    "enumerate_regions": "vqgeom.regions",
    # claims: lemmas, sawtooth, catalogue, counterexamples
    "check_lemma1": "vqgeom.lemmas",
    "check_lemma2": "vqgeom.lemmas",
    "check_sawtooth": "vqgeom.lemmas",
    "sawtooth_table": "vqgeom.lemmas",
    "genericity": "vqgeom.lemmas",
    "Verdict": "vqgeom.lemmas",
    "Violation": "vqgeom.lemmas",
    "BoxUnion": "vqgeom.regions",
    "find_counterexample": "vqgeom.lemmas",
    "sawtooth": "vqgeom.catalogue",
    "shallow_equivalent": "vqgeom.catalogue",
    "arrangement": "vqgeom.catalogue",
    "CATALOGUE": "vqgeom.lemmas.claims",
    # errors
    "VQGeomError": "vqgeom.errors",
    "InvalidNetworkError": "vqgeom.errors",
    "InvalidInputError": "vqgeom.errors",
    "DegenerateInputError": "vqgeom.errors",
    "UnsupportedModuleError": "vqgeom.errors",
    "RegionBudgetExceeded": "vqgeom.errors",
    "MemoryBudgetExceeded": "vqgeom.errors",
    "CertificateError": "vqgeom.errors",
    "MissingDependencyError": "vqgeom.errors",
    "EngineFallbackWarning": "vqgeom.errors",
    "WorkerLostError": "vqgeom.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vqgeom' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
