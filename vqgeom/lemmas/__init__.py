"""The paper's claims as exhaustive, exact checks: one module per claim, each returning a
:class:`Verdict` with exact witnesses for every violation it stores."""

from vqgeom.lemmas.counterexample import find_counterexample, CounterexampleResult
from vqgeom.lemmas.lemma1 import check_lemma1, duplicate_hyperplanes, touching_graph
from vqgeom.lemmas.lemma2 import check_lemma2, genericity, Genericity, affine_pieces, output_map
from vqgeom.lemmas.sawtooth import check_sawtooth, sawtooth_table
from vqgeom.lemmas.union import BoxUnion, enumerate_union
from vqgeom.lemmas.verdict import Verdict, Violation

__all__ = ["check_lemma1", "check_lemma2", "check_sawtooth", "sawtooth_table", "Verdict", "Violation",
           "genericity", "Genericity", "duplicate_hyperplanes", "touching_graph", "affine_pieces",
           "output_map", "BoxUnion", "enumerate_union", "find_counterexample", "CounterexampleResult"]
