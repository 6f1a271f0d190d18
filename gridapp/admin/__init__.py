"""The back office, one module per area; Django's admin autodiscovery imports this
package, which registers them all."""

from . import evaluations, grids, reports, staff, workflow  # noqa: F401  (registration)
