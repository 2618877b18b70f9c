"""Box and centroid XML files (Pascal-VOC style, as SIRST-V2 ships them), rewritten from a mask.

SIRST-V2's ``annotations/bboxes/<frame>.xml`` hold one ``<object><bndbox>``
per target and ``annotations/centroids/<frame>.xml`` one ``<object><centroid>``.
Their conventions, read off the published files against the published masks:
coordinates are 1-based; ``xmin``/``ymin`` is the first column/row of the
target and ``xmax``/``ymax`` the one after its last (MATLAB's BoundingBox
corners rounded up); the centroid is intensity-weighted (MATLAB's
WeightedCentroid), ``xc`` then ``yc`` 1-based. A rewritten file keeps
everything but the objects (file name, size, anything else) as it was.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from ..labels.targets import find_targets

__all__ = ["boxes_xml", "centroids_xml", "weighted_centroids"]


def weighted_centroids(image: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """``(x, y)`` per target (raster order), weighted by grey level, 0-based; the plain mean where all are 0."""
    targets = find_targets(mask)
    image = np.asarray(image, np.float64)
    out = []
    for k in range(len(targets)):
        r0, c0, r1, c1 = (int(v) for v in targets.bbox[k])
        own = targets.labels[r0:r1, c0:c1] == k + 1
        rows, cols = np.nonzero(own)
        weights = image[r0:r1, c0:c1][own]
        if weights.sum() <= 0:
            weights = np.ones_like(weights)
        out.append((c0 + float((weights * cols).sum() / weights.sum()), r0 + float((weights * rows).sum() / weights.sum())))
    return out


def _replace_objects(xml_text: str, objects: list[ET.Element]) -> str:
    root = ET.fromstring(xml_text)
    for old in root.findall("object"):
        root.remove(old)
    for element in objects:
        root.append(element)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def _object(name: str, tag: str, fields: list[tuple[str, str]]) -> ET.Element:
    element = ET.Element("object")
    ET.SubElement(element, "name").text = name
    inner = ET.SubElement(element, tag)
    for key, value in fields:
        ET.SubElement(inner, key).text = value
    return element


def boxes_xml(xml_text: str, mask: np.ndarray, *, name: str = "Target") -> str:
    """The bounding-box file `xml_text` with one object per target of `mask`.

    Examples
    --------
    >>> m = np.zeros((8, 8), bool); m[2:4, 5:7] = True
    >>> print(boxes_xml("<annotation><filename>f</filename></annotation>", m))
    <annotation>
      <filename>f</filename>
      <object>
        <name>Target</name>
        <bndbox>
          <xmin>6</xmin>
          <ymin>3</ymin>
          <xmax>8</xmax>
          <ymax>5</ymax>
        </bndbox>
      </object>
    </annotation>
    <BLANKLINE>
    """
    targets = find_targets(mask)
    objects = [_object(name, "bndbox", [("xmin", str(int(c0) + 1)), ("ymin", str(int(r0) + 1)),
                                        ("xmax", str(int(c1) + 1)), ("ymax", str(int(r1) + 1))])
               for r0, c0, r1, c1 in targets.bbox]
    return _replace_objects(xml_text, objects)


def centroids_xml(xml_text: str, image: np.ndarray, mask: np.ndarray, *, name: str = "Target") -> str:
    """The centroid file `xml_text` with one object per target of `mask` (weighted, 1-based)."""
    objects = [_object(name, "centroid", [("yc", repr(y + 1.0)), ("xc", repr(x + 1.0))])
               for x, y in weighted_centroids(image, mask)]
    return _replace_objects(xml_text, objects)
