"""GDAL set up for untrusted survey files: only the import formats' drivers, no network.

GDAL chooses a driver by a file's content, not its name: an OGR VRT (an XML file naming other
data sources) called `survey.geojson` reads whatever it names, /etc/passwd included, and other
drivers reach URLs (HTTP, WFS, OAPIF, /vsicurl/), run programs (GPSBabel) or chain files
(GDALG). pyogrio cannot restrict the drivers of a single read, so the process keeps only the
ones imports and exports use: GDAL_SKIP unloads the rest when the drivers are registered again
(GDALAllRegister skips what it lists; registering a loaded driver twice is a no-op). "MapInfo
File" stays (GDAL_SKIP splits names at spaces); it opens only .tab/.mif files, which imports
refuse by name. The network is closed too, for anything that still tries: /vsicurl/ accepts
only a suffix no file has, and every HTTP request goes to a proxy on a closed local port.
Each file is also checked against its suffix by its first bytes (geo/io/signatures.py).
"""

import pyogrio
from pyogrio._ogr import _register_drivers  # GDALAllRegister: applies GDAL_SKIP

ALLOWED_DRIVERS = frozenset({"ESRI Shapefile", "GPKG", "GeoJSON", "KML", "LIBKML", "CSV", "XLSX"})
NO_NETWORK = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".yishiting-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # the discard port: nothing listens there
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "2",
    "GDAL_HTTP_CONNECTTIMEOUT": "2",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",  # GeoPackage views naming other files
}


def configure() -> None:
    """Unload every driver but the import formats' and close GDAL's network (idempotent)."""
    others = sorted(d for d in set(pyogrio.list_drivers()) - ALLOWED_DRIVERS if " " not in d)
    pyogrio.set_gdal_config_options({**NO_NETWORK, "GDAL_SKIP": " ".join(others)})
    _register_drivers()
