"""Saving and loading partitions: the JSON form ``vqgeom-partition/1`` and GraphML.

:class:`~vqgeom.regions.partition.Partition`'s ``to_dict``, ``from_dict``, ``save``, ``load``
and ``export_graphml`` are thin delegates to these functions.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from vqgeom._paths import atomic_output, check_output_file, write_text_atomic
from vqgeom.errors import InvalidInputError
from vqgeom.exact import format_fraction, to_fraction
from vqgeom.regions.boxunion import BoxUnion
from vqgeom.regions.domain import Box, Whole

__all__ = ["PARTITION_FORMAT", "to_dict", "from_dict", "save", "load", "export_graphml", "domain_from_dict"]

PARTITION_FORMAT = "vqgeom-partition/1"


def to_dict(part, *, timing: bool = False) -> dict:
    """The JSON form (``vqgeom-partition/1``); exact numbers as ``"p/q"`` strings.

    ``timing=True`` adds ``"seconds"`` (the enumeration time); without it the document
    depends only on the network, the domain and the engine, so two runs give identical
    bytes (outputs can be diffed and cached).
    """
    enc = format_fraction if part.exact else float
    def point(p):
        return None if p is None else [enc(v) for v in p]
    doc = {
        "format": PARTITION_FORMAT,
        "arithmetic": part.arithmetic,
        "engine": part.engine,
        "network": part.net.to_dict(),
        "domain": part.domain.to_dict(),
        "frame": None if part.frame is None else part.frame.to_dict(),
        "widths": list(part.net.widths),
        "codes": ["".join("1" if s else "0" for layer in code for s in layer) for code in part.codes],
        "witnesses": [point(w) for w in part.witnesses],
        "edges": [[int(i), int(j), [list(f) for f in d["flips"]], point(d["facet_witness"])]
                  for i, j, d in part.graph.edges(data=True)],
    }
    if part._polygons is not None:
        doc["polygons"] = [[point(v) for v in poly] for poly in part._polygons]
    if timing:
        doc["seconds"] = part.seconds
    return doc


def save(part, path, *, timing: bool = False) -> None:
    """Write the partition as JSON to ``path`` (atomically: a temp file, then rename).

    The file is byte-identical across runs unless ``timing=True`` adds the enumeration
    time (see :func:`to_dict`).
    """
    check_output_file(path, "path")
    write_text_atomic(path, json.dumps(to_dict(part, timing=timing), separators=(",", ":")) + "\n")


def export_graphml(part, path) -> None:
    """Write the adjacency graph as GraphML (for graph tools; :meth:`save` keeps more).

    Node attributes: ``code`` (a 0/1 string, layers joined by ``|``) and ``witness``;
    edge attributes: ``flips`` (``"layer:neuron"`` joined by spaces) and
    ``facet_witness``; points as space-separated ``p/q`` (exact) or floats. Written
    atomically.
    """
    enc = format_fraction if part.exact else repr
    def point(p):
        return "" if p is None else " ".join(enc(v) for v in p)
    g = nx.Graph()
    for i, code in enumerate(part.codes):
        g.add_node(i, code="|".join("".join("1" if b else "0" for b in layer) for layer in code),
                   witness=point(part.witnesses[i]))
    for i, j, d in part.graph.edges(data=True):
        g.add_edge(i, j, flips=" ".join(f"{l}:{k}" for l, k in d["flips"]),
                   facet_witness=point(d["facet_witness"]))
    with atomic_output(path, "path") as f:
        nx.write_graphml(g, f)


def from_dict(doc: dict, cls):
    """Rebuild a partition (an instance of ``cls``, :class:`Partition`) from :func:`to_dict`'s form."""
    from vqgeom.network import Network

    if not isinstance(doc, dict) or doc.get("format") != PARTITION_FORMAT:
        raise InvalidInputError(f"not a vqgeom partition document (format must be {PARTITION_FORMAT!r})")
    try:
        arithmetic = doc["arithmetic"]
        if arithmetic not in ("exact", "float"):
            raise InvalidInputError(f"partition arithmetic must be 'exact' or 'float', got {arithmetic!r}")
        exact = arithmetic == "exact"
        net = Network.from_dict(doc["network"], exact=exact)
        dec = (lambda v: to_fraction(v, name="witness")) if exact else float
        def point(p):
            return None if p is None else tuple(dec(v) for v in p)
        widths = list(net.widths)
        codes = []
        for s in doc["codes"]:
            if len(s) != sum(widths) or set(s) - {"0", "1"}:
                raise InvalidInputError(f"bad code string {s!r} for layer widths {widths}")
            bits = [c == "1" for c in s]
            code, start = [], 0
            for w in widths:
                code.append(tuple(bits[start:start + w]))
                start += w
            codes.append(tuple(code))
        witnesses = [point(w) for w in doc["witnesses"]]
        edges = [(i, j, [tuple(f) for f in flips], point(fw)) for i, j, flips, fw in doc["edges"]]
        polygons = None
        if doc.get("polygons") is not None:
            polygons = [[point(v) for v in poly] for poly in doc["polygons"]]
        return cls(net, domain_from_dict(doc["domain"]), codes, witnesses, edges,
                   arithmetic=arithmetic, engine=doc.get("engine", "?"), seconds=doc.get("seconds"),
                   polygons=polygons,
                   frame=None if doc.get("frame") is None else domain_from_dict(doc["frame"]))
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"malformed partition document ({type(exc).__name__}: {exc})") from None


def load(path, cls):
    """Read a partition written by :func:`save` (an instance of ``cls``)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InvalidInputError(f"cannot read partition file {str(path)!r}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except RecursionError:
        raise InvalidInputError(f"{path}: invalid partition JSON: nested too deeply") from None
    except ValueError as exc:   # JSONDecodeError, or an integer of over 4300 digits
        raise InvalidInputError(f"{path}: invalid JSON ({str(exc).splitlines()[0]})") from None
    return from_dict(doc, cls)


def domain_from_dict(d):
    """A domain from its ``to_dict`` form (box, whole or union)."""
    if not isinstance(d, dict) or d.get("type") not in ("box", "whole", "union"):
        raise InvalidInputError(f"bad domain description {d!r}")
    if d["type"] == "whole":
        return Whole()
    if d["type"] == "union":
        return BoxUnion([domain_from_dict(b) for b in d["boxes"]])
    return Box(d["lower"], d["upper"])
