"""Read the QPV contours (GeoJSON in WGS84 lon/lat) and place address points against them.

The ANCT publishes the 2024 priority neighbourhoods with their code in `code_qp`; extracts
made from it name it `code_quartier` or `code`: the first of these a feature has is its code.
Only the codes asked for are built into shapely geometries, prepared once, so that placing
thousands of points is one vectorised call per neighbourhood.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

CODE_PROPERTIES = ("code_qp", "code_quartier", "code")
# Where the files name a neighbourhood: the ANCT's `lib_qp` (or `nom_qp`), extracts' others.
NAME_PROPERTIES = ("lib_qp", "nom_qp", "nom_quartier", "label", "nom", "name")
_POLYGONAL = ("Polygon", "MultiPolygon")
# Names a GeoJSON "crs" member (an older GeoJSON form) may give to WGS84 lon/lat.
_WGS84_NAMES = ("EPSG:4326", "EPSG::4326", "CRS84")


class ContoursError(ValueError):
    """A contours file that cannot be used; the message names the file and the problem."""


@dataclass
class Contours:
    """The wanted neighbourhoods' geometries by code, and the codes whose contour was repaired."""

    geometries: dict[str, BaseGeometry] = field(default_factory=dict)
    repaired: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # as the file names them ("" if not)


def _first(properties: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = properties.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _code(properties: dict) -> str | None:
    code = _first(properties, CODE_PROPERTIES)
    return code.upper() if code else None


def _check_crs(data: dict, source: str) -> None:
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return  # RFC 7946: GeoJSON without "crs" is WGS84 lon/lat.
    name = str((crs.get("properties") or {}).get("name", ""))
    if not any(wgs84 in name.upper() for wgs84 in _WGS84_NAMES):
        raise ContoursError(
            f"{source}: coordinates in {name or 'an unnamed system'}; "
            "expected WGS84 longitude/latitude (EPSG:4326)"
        )


def read_contours(path: str | os.PathLike[str], codes: Collection[str] | None) -> Contours:
    """The contours of these QPV codes (every one in the file for None), valid and prepared;
    ContoursError if one asked for is missing."""
    source = os.fspath(path)
    wanted = {code.upper() for code in codes} if codes is not None else None
    try:
        data = json.loads(Path(path).read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ContoursError(f"{source}: not a GeoJSON file (it is not JSON)") from None
    except OSError as exc:
        raise ContoursError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ContoursError(f"{source}: not a GeoJSON FeatureCollection")
    _check_crs(data, source)
    features = data.get("features")
    if not isinstance(features, list):
        raise ContoursError(f"{source}: its FeatureCollection has no list of features")

    parts: dict[str, list[BaseGeometry]] = {}
    names: dict[str, str] = {}
    for index, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = _code(properties) if isinstance(properties, dict) else None
        if code is None or (wanted is not None and code not in wanted):
            continue
        names.setdefault(code, _first(properties, NAME_PROPERTIES) or "")
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in _POLYGONAL:
            raise ContoursError(
                f"{source}: feature {index} ({code}) is a {kind or 'missing geometry'}, "
                "not a Polygon or MultiPolygon"
            )
        try:
            parts.setdefault(code, []).append(shape(geometry))
        except (ValueError, TypeError, IndexError, GEOSException) as exc:
            raise ContoursError(
                f"{source}: feature {index} ({code}): unreadable geometry: {exc}"
            ) from None

    missing = sorted(wanted - parts.keys()) if wanted is not None else []
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ContoursError(
            f"{source}: no contour for QPV code{plural} {', '.join(missing)} "
            f"(looked in properties {', '.join(CODE_PROPERTIES)})"
        )

    contours = Contours(names=names)
    for code, geometries in parts.items():
        geometry = geometries[0] if len(geometries) == 1 else shapely.union_all(geometries)
        if not geometry.is_valid:
            # Published contours rounded to a few decimals often touch or cross themselves.
            # "structure" keeps what the rings enclose (shells minus holes), without the
            # stray lines the default repair can leave.
            contours.repaired[code] = shapely.is_valid_reason(geometry)
            geometry = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
        minx, miny, maxx, maxy = geometry.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ContoursError(
                f"{source}: {code} is not in longitude/latitude (bounds {geometry.bounds}); "
                "expected WGS84 (EPSG:4326)"
            )
        shapely.prepare(geometry)
        contours.geometries[code] = geometry
    return contours


def inside(geometry: BaseGeometry, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """For each point, whether it lies in the contour (a point on the line counts as inside).

    The boundary follows street axes and façades: a point exactly on it gets the benefit of
    the doubt, as screening is advice a person confirms.
    """
    return shapely.intersects_xy(geometry, lons, lats)


__all__ = ["CODE_PROPERTIES", "Contours", "ContoursError", "inside", "read_contours"]
