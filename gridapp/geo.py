"""Coordinates and grid boundaries.

China's maps and WeChat's map component use GCJ-02, an obfuscated datum that is offset
from GPS's WGS-84 by a few hundred metres. The conversion below is the widely published
algorithm (Krasovsky 1940 ellipsoid constants, as in github.com/googollee/eviltransform
and github.com/wandergis/coordtransform); there is no closed-form inverse, so
`gcj02_to_wgs84` iterates to centimetre precision. tests/gridapp/test_geo.py checks both
directions against eviltransform's own published test vectors.
"""

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, shape
from shapely.validation import explain_validity

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid
_EE = 0.00669342162296594323  # its first eccentricity squared

# Square degrees, about one square metre: GEOS calls a ring through three nearly collinear
# decimal positions valid (binary rounding leaves it ~1e-17 of area), but no grid is that thin.
MIN_AREA = 1e-10

WGS84 = "wgs84"
GCJ02 = "gcj02"
COORD_TYPES = (GCJ02, WGS84)


def outside_china(lat: float, lng: float) -> bool:
    """GCJ-02 leaves points outside China's rough bounding box unshifted."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * math.sqrt(abs(x)))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if outside_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _delta(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Invert by fixed-point iteration: converges to < 1e-9° in a handful of steps."""
    if outside_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        if abs(e_lat) < 1e-10 and abs(e_lng) < 1e-10:
            break
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
    return w_lat, w_lng


def to_gcj02(lat: float, lng: float, coord_type: str = GCJ02) -> tuple[float, float]:
    return wgs84_to_gcj02(lat, lng) if coord_type == WGS84 else (lat, lng)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine; GCJ-02's offset cancels at this scale)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def polygon_from_geojson(geojson: Any) -> Polygon:
    """A valid GeoJSON Polygon as shapely, or ValidationError saying what is wrong."""
    if not isinstance(geojson, dict) or geojson.get("type") != "Polygon":
        raise ValidationError(_("The boundary must be a GeoJSON Polygon."))
    rings = geojson.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("The polygon has no rings."))
    for ring in rings:
        _check_ring(ring)
    try:
        polygon = shape(geojson)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(_("The polygon cannot be read: %(error)s") % {"error": exc})
    if not polygon.is_valid:
        raise ValidationError(_("The polygon is not valid: %(reason)s")
                              % {"reason": explain_validity(polygon)})
    if polygon.area < MIN_AREA:
        raise ValidationError(_("The polygon has no area."))
    return polygon


def _check_ring(ring: Any) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(_("A ring needs at least four positions."))
    for position in ring:
        if (not isinstance(position, list | tuple) or len(position) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool)
                           for c in position[:2])):
            raise ValidationError(_("A position must be [longitude, latitude]."))
        lng, lat = position[0], position[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValidationError(_("A position is out of range."))
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ValidationError(_("A ring must be closed: its last position equals its first."))


def rectangle(min_lat: float, min_lng: float, max_lat: float, max_lng: float) -> dict:
    """A GeoJSON Polygon for a lat/lng rectangle (counter-clockwise, closed)."""
    return {
        "type": "Polygon",
        "coordinates": [[[min_lng, min_lat], [max_lng, min_lat], [max_lng, max_lat],
                         [min_lng, max_lat], [min_lng, min_lat]]],
    }
