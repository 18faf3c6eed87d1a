"""Region counts on the plane through three digits equal Regioncam's on the same slice, composed
by hand (the slice map and dense convolution matrices built here by index arithmetic), for a
trained MLP and a trained CNN with two convolutions (stride, padding)."""

import numpy as np
import pytest

import vqgeom
from vqgeom.datasets import digits
from vqgeom.digit_models import digits_cnn, digits_mlp, three_digits, train_on_digits

regioncam = pytest.importorskip("regioncam")


def _conv_matrix(w, b, H, W, stride, pad):
    """Dense (Cout*Ho*Wo, Cin*H*W) matrix of a 2-D convolution, by index arithmetic."""
    Co, Ci, k, _ = w.shape
    Ho, Wo = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    K = np.zeros((Co * Ho * Wo, Ci * H * W))
    for co in range(Co):
        for i in range(Ho):
            for j in range(Wo):
                r = (co * Ho + i) * Wo + j
                for ci in range(Ci):
                    for a in range(k):
                        for c in range(k):
                            y, x = i * stride - pad + a, j * stride - pad + c
                            if 0 <= y < H and 0 <= x < W:
                                K[r, (ci * H + y) * W + x] += w[co, ci, a, c]
    return K, np.repeat(b, Ho * Wo), Ho, Wo


def _regioncam_count(X, layers):
    """Regioncam on [-0.75, 0.75]^2 = the (u, v) box [-0.25, 1.25]^2 shifted by 1/2."""
    f = np.float32
    x0, x1, x2 = X
    rc = regioncam.Regioncam(size=0.75)
    rc.linear(np.stack([x1 - x0, x2 - x0]).astype(f), (x0 + 0.5 * (x1 - x0) + 0.5 * (x2 - x0)).astype(f))
    for W, b in layers:
        rc.linear(np.ascontiguousarray(W.T).astype(f), b.astype(f))
        rc.relu()
    return rc.num_faces


def _np(t):
    return t.detach().double().numpy()


@pytest.fixture(scope="module")
def split():
    return digits(rng=0)


def test_trained_mlp_on_a_plane_through_three_digits(split):
    model = digits_mlp((32, 32), seed=0)
    assert train_on_digits(model, split, epochs=60) > 0.8
    X, y = three_digits(split)
    assert len(set(y.tolist())) == 3
    part = vqgeom.enumerate_regions(model, vqgeom.Plane(*X))
    layers = [(_np(model[i].weight), _np(model[i].bias)) for i in (0, 2)]
    assert part.n_regions == _regioncam_count(X, layers)
    assert part.n_regions > 20


@pytest.mark.slow
def test_trained_cnn_on_a_plane_through_three_digits(split):
    model = digits_cnn((2, 4), seed=1)
    assert train_on_digits(model, split, epochs=60) > 0.8
    X, _ = three_digits(split, classes=(3, 5, 8))
    part = vqgeom.enumerate_regions(model, vqgeom.Plane(*X))
    K1, b1, H, W = _conv_matrix(_np(model[1].weight), _np(model[1].bias), 8, 8, 1, 1)
    K2, b2, _, _ = _conv_matrix(_np(model[3].weight), _np(model[3].bias), H, W, 2, 1)
    assert part.n_regions == _regioncam_count(X, [(K1, b1), (K2, b2)])
    assert part.n_regions > 200
    # the float enumeration agrees with the exact one
    assert vqgeom.enumerate_regions(model, vqgeom.Plane(*X), arithmetic="float").n_regions == part.n_regions
