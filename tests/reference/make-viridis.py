#!/usr/bin/python3
"""Samples the viridis colour map for Convolve's feature-map views.

Run with Debian's python3-matplotlib:

    /usr/bin/python3 tests/reference/make-viridis.py

Viridis (van der Walt and Smith, 2015) is published as 256 sRGB colours
along a path through the CAM02-UCS colour space.  Convolve treats those
colours as a continuous map (linear between neighbours) and keeps 65 of
its values, t = 0, 1/64, …, 1, between which it interpolates linearly
again; that is within 0.5/255 of the continuous map everywhere.

The script prints the 65 knots as the C table of src/engine/cnv-inspect.c
and writes tests/reference/viridis.json: the continuous map at 101 values
of t, in 0–255 units, that tests/test-inspect.c checks cnv_viridis ()
against.
"""

import json
import os

import matplotlib
from matplotlib import cm
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KNOTS = 65


def continuous(lut, t):
    x = t * (len(lut) - 1)
    i = min(int(x), len(lut) - 2)
    f = x - i
    return lut[i] * (1.0 - f) + lut[i + 1] * f


def main():
    lut = np.array(cm.get_cmap("viridis").colors, dtype=np.float64)

    print("static const float viridis_knots[%d][3] = {" % KNOTS)
    for k in range(KNOTS):
        r, g, b = continuous(lut, k / (KNOTS - 1))
        print("  { %.5ff, %.5ff, %.5ff }," % (r, g, b))
    print("};")

    samples = []
    for i in range(101):
        t = i / 100
        samples.append({"t": t,
                        "rgb": [round(float(c) * 255.0, 3)
                                for c in continuous(lut, t)]})
    path = os.path.join(HERE, "viridis.json")
    with open(path, "w") as f:
        json.dump({"description": "viridis, continuous, 0-255",
                   "matplotlib_version": matplotlib.__version__,
                   "samples": samples}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
