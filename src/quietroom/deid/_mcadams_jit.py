"""The McAdams transform compiled with numba: one pass over the frames, nothing allocated per frame.

Same arithmetic as `mcadams.mcadams_reference` (B2): Burg LPC of the windowed frame (+ eps),
poles of the LPC polynomial, angle φ -> |φ|**α for complex poles, radius kept, residual by
the FIR A(z), re-synthesis by the all-pole 1/A'(z) from zero state, window and overlap-add.

What makes it fast, besides being compiled:
- Poles by Aberth-Ehrlich iteration started from the previous frame's poles (frames overlap
  by half, so the start is close: ~6 iterations of O(order²) real arithmetic), instead of an
  O(order³) eigenvalue decomposition per frame. Each result is checked against the
  polynomial (Newton's identities for the first two power sums); a frame that does not
  converge or fails the check falls back to the companion-matrix eigenvalues, which is also
  how the first frame starts.
- The two filters as fixed-length forward dot products over zero-led buffers, which the
  compiler vectorises.

Imported lazily by `mcadams.mcadams`; without numba the numpy path there is used instead.
"""
from __future__ import annotations

import numpy as np
from numba import njit



def _compiled(**options):
    """numba's njit with its on-disk cache (compiled code only, never audio) where numba finds a
    writable place for one. Where it finds none (a read-only install and home) numba refuses
    cache=True outright, at import: the functions are then compiled in each process instead."""
    def decorate(function):
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
            return njit(**options)(function)
    return decorate


_TOL2 = 1e-7**2  # squared Aberth step below which a root counts as converged
_ITERS = 40


@_compiled(fastmath=True)
def _burg(x, order, a, fwd, bwd):
    """Burg's LPC as librosa.lpc computes it, into a[0..order]."""
    n = x.size
    length = n - 1
    for j in range(length):
        fwd[j] = x[j + 1]
        bwd[j] = x[j]
    den = 0.0
    for j in range(length):
        den += fwd[j] * fwd[j] + bwd[j] * bwd[j]
    a[:] = 0.0
    a[0] = 1.0
    eps = 2.220446049250313e-16
    for i in range(order):
        li = length - i
        num = 0.0
        for j in range(li):
            num += bwd[j] * fwd[i + j]
        k = -2.0 * num / (den + eps)
        # a[1:i+2] = a[1:i+2] + k * a[i::-1], done pairwise in place
        for j in range(1, (i + 2) // 2 + 1):
            lo = a[j]
            hi = a[i + 1 - j]
            if j == i + 1 - j:
                a[j] = lo + k * lo
            elif j < i + 1 - j:
                a[j] = lo + k * hi
                a[i + 1 - j] = hi + k * lo
        a[i + 1] = k
        for j in range(li):
            f = fwd[i + j]
            b = bwd[j]
            fwd[i + j] = f + k * b
            bwd[j] = b + k * f
        den = (1.0 - k * k) * den - bwd[li - 1] ** 2 - fwd[i] ** 2


@_compiled(fastmath=True, error_model="numpy")
def _aberth(a, order, zr, zi, done):
    """Polish the roots (zr + i zi) of z^order + a[1] z^(order-1) + ... + a[order] in place
    (Gauss-Seidel Aberth-Ehrlich, real arithmetic; a root whose step fell below the tolerance
    is left alone). True when converged."""
    for i in range(order):
        done[i] = False
    for _it in range(_ITERS):
        worst = 0.0
        for i in range(order):
            if done[i]:
                continue
            xr = zr[i]
            xi = zi[i]
            # p(z) and p'(z) in real arithmetic (Bairstow): divide p by the real quadratic
            # w^2 - s w + t that vanishes at z, and the quotient once more. Half the work of
            # complex Horner.
            s_ = 2.0 * xr
            t_ = xr * xr + xi * xi
            b2 = 0.0  # b[k-2]
            b1 = 1.0  # b[k-1], starting with b[0] = a[0] = 1
            d2 = 0.0
            d1 = 1.0  # d[0] = b[0]
            for k in range(1, order - 1):
                b0 = a[k] + s_ * b1 - t_ * b2
                d0 = b0 + s_ * d1 - t_ * d2
                b2 = b1
                b1 = b0
                d2 = d1
                d1 = d0
            # b1 = b[n-2], b2 = b[n-3]; d1 = d[n-2], d2 = d[n-3]
            bn1 = a[order - 1] + s_ * b1 - t_ * b2
            bn = a[order] + s_ * bn1 - t_ * b1
            pr = bn - xr * bn1
            pi = xi * bn1
            qr = d1 - xr * d2  # quotient at z
            qi = xi * d2
            dr = bn1 - 2.0 * xi * qi
            di = 2.0 * xi * qr
            den = pr * pr + pi * pi
            if den == 0.0:
                continue  # exactly on a root
            rr = (dr * pr + di * pi) / den  # p'/p
            ri = (di * pr - dr * pi) / den
            sr = 0.0
            si = 0.0
            for j in range(i):  # sum over j != i of 1 / (z_i - z_j), in two branch-free runs
                er = xr - zr[j]
                ei = xi - zi[j]
                g = 1.0 / (er * er + ei * ei)
                sr += er * g
                si -= ei * g
            for j in range(i + 1, order):
                er = xr - zr[j]
                ei = xi - zi[j]
                g = 1.0 / (er * er + ei * ei)
                sr += er * g
                si -= ei * g
            ur = rr - sr
            ui = ri - si
            g = 1.0 / (ur * ur + ui * ui)
            wr = ur * g
            wi = -ui * g
            zr[i] = xr - wr
            zi[i] = xi - wi
            m = wr * wr + wi * wi
            if not m < 1e300:  # nan or inf
                return False
            if m < _TOL2:
                done[i] = True
            if m > worst:
                worst = m
        if worst < _TOL2:
            # Newton's identities: sum z = -a1, sum z^2 = a1^2 - 2 a2 (catches a lost root)
            s1r = 0.0
            s1i = 0.0
            s2r = 0.0
            s2i = 0.0
            for i in range(order):
                s1r += zr[i]
                s1i += zi[i]
                s2r += zr[i] * zr[i] - zi[i] * zi[i]
                s2i += 2.0 * zr[i] * zi[i]
            scale = 1.0 + abs(a[1]) + a[1] * a[1] + abs(a[2])
            e1 = abs(s1r + a[1]) + abs(s1i)
            e2 = abs(s2r - (a[1] * a[1] - 2.0 * a[2])) + abs(s2i)
            return e1 < 1e-8 * scale and e2 < 1e-8 * scale
    return False


@_compiled()
def _eig_roots(a, order, zr, zi):
    comp = np.zeros((order, order), dtype=np.complex128)
    for j in range(order):
        comp[0, j] = -a[j + 1]
    for j in range(1, order):
        comp[j, j - 1] = 1.0
    z = np.linalg.eigvals(comp)
    for k in range(order):
        zr[k] = z[k].real
        zi[k] = z[k].imag


@_compiled(fastmath=True)
def _warp_angle(pr, pi, alpha):
    ang = np.arctan2(pi, pr)
    rad = np.sqrt(pr * pr + pi * pi)
    na = abs(ang) ** alpha
    if na > np.pi:
        na = np.pi
    if ang < 0:
        na = -na
    return rad * np.cos(na), rad * np.sin(na)


@_compiled(fastmath=True)
def _warped_poly(zr, zi, order, alpha, out, cr, ci):
    """prod over poles (1 - p z^-1) after φ -> |φ|**α (sign and radius kept, capped at π) for
    complex poles; real poles untouched. Into out[0..order].

    Conjugate pairs are taken together as real quadratic factors (upper pole warped, its
    mirror implied); if the poles do not pair up that way, every pole is multiplied in
    separately in complex arithmetic."""
    thr = 1e-12
    upper = 0
    lower = 0
    for j in range(order):
        if zi[j] > thr:
            upper += 1
        elif zi[j] < -thr:
            lower += 1
    if upper == lower:
        for k in range(order + 1):
            out[k] = 0.0
        out[0] = 1.0
        deg = 0
        for j in range(order):
            if zi[j] < -thr:
                continue
            if zi[j] > thr:
                pr, pi = _warp_angle(zr[j], zi[j], alpha)
                b1 = -2.0 * pr
                b2 = pr * pr + pi * pi
                deg += 2
                for k in range(deg, 1, -1):
                    out[k] = out[k] + b1 * out[k - 1] + b2 * out[k - 2]
                out[1] = out[1] + b1 * out[0]
            else:
                deg += 1
                r = zr[j]
                for k in range(deg, 0, -1):
                    out[k] = out[k] - r * out[k - 1]
        return
    for k in range(order + 1):
        cr[k] = 0.0
        ci[k] = 0.0
    cr[0] = 1.0
    for j in range(order):
        pr = zr[j]
        pi = zi[j]
        if abs(pi) > thr:
            pr, pi = _warp_angle(pr, pi, alpha)
        for k in range(j + 1, 0, -1):
            t = cr[k] - (pr * cr[k - 1] - pi * ci[k - 1])
            ci[k] = ci[k] - (pr * ci[k - 1] + pi * cr[k - 1])
            cr[k] = t
    for k in range(order + 1):
        out[k] = cr[k]


@_compiled(fastmath=True)
def mcadams_frames(x, total, window, hop, alpha, eps, order, tiny):
    """McAdams output for x, zero-padded to `total` samples (frames of window.size, hop),
    loudness matched to the input and clipped to [-1, 1], as float32 of x's length."""
    n_in = x.size
    winlen = window.size
    frames = 1 + (total - winlen) // hop
    out = np.zeros(total)
    a = np.zeros(order + 1)
    a_new = np.zeros(order + 1)
    arev = np.zeros(order + 1)
    brev = np.zeros(order)
    cr = np.zeros(order + 1)
    ci = np.zeros(order + 1)
    fwd = np.zeros(winlen - 1)
    bwd = np.zeros(winlen - 1)
    lpc_in = np.zeros(winlen)
    fpad = np.zeros(order + winlen)  # the frame, led by `order` zeros
    ypad = np.zeros(order + winlen)  # the re-synthesised frame, led by `order` zeros
    res = np.zeros(winlen)
    zr = np.zeros(order)
    zi = np.zeros(order)
    tr = np.zeros(order)
    ti = np.zeros(order)
    done = np.zeros(order, dtype=np.bool_)
    have = False
    for m in range(frames):
        s0 = m * hop
        for j in range(winlen):
            v = 0.0
            if s0 + j < n_in:
                v = np.float64(x[s0 + j]) * window[j]
            fpad[order + j] = v
            lpc_in[j] = v + eps
        _burg(lpc_in, order, a, fwd, bwd)
        ok = False
        if have:
            for k in range(order):
                tr[k] = zr[k]
                ti[k] = zi[k]
            ok = _aberth(a, order, tr, ti, done)
        if ok:
            for k in range(order):
                zr[k] = tr[k]
                zi[k] = ti[k]
        else:
            _eig_roots(a, order, zr, zi)
            have = True
        _warped_poly(zr, zi, order, alpha, a_new, cr, ci)
        for k in range(order + 1):
            arev[k] = a[order - k]
        for k in range(order):
            brev[k] = a_new[order - k]
        for n in range(winlen):  # residual = A(z) frame
            acc = 0.0
            for k in range(order + 1):
                acc += arev[k] * fpad[n + k]
            res[n] = acc
        for n in range(winlen):  # y = residual / A'(z)
            acc = 0.0
            for k in range(order):
                acc += brev[k] * ypad[n + k]
            ypad[order + n] = res[n] - acc
        for j in range(winlen):
            out[s0 + j] += ypad[order + j] * window[j]
    # as mcadams._normalise: keep the input's RMS, clip, float32
    ex = 0.0
    ey = 0.0
    for j in range(n_in):
        ex += np.float64(x[j]) ** 2
        ey += out[j] ** 2
    rx = np.sqrt(ex / max(n_in, 1))
    ry = np.sqrt(ey / max(n_in, 1))
    gain = rx / ry if ry > tiny else 1.0
    result = np.empty(n_in, dtype=np.float32)
    for j in range(n_in):
        v = out[j] * gain
        result[j] = min(1.0, max(-1.0, v))
    return result
