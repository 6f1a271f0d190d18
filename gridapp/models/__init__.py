"""The data of gridapp, one module per area; everything is importable from here
(`from gridapp.models import Report`), so a model may move between modules freely."""

from .grids import BBOX_FIELDS, Grid, GridEvent, GridMembership, Invite, LeaderTerm, current_terms_q
from .grid_index import GridIndexVersion
from .notifications import Notification
from .photos import Photo, photo_upload_to
from .regions import Department, Region
from .reports import Category, Report, ReportCounter, ReportEvent, ReportLevel, Responsibility
from .staff import StaffRole

__all__ = [
    "BBOX_FIELDS", "Category", "Department", "Grid", "GridEvent", "GridIndexVersion", "GridMembership",
    "Invite", "LeaderTerm", "Notification", "Photo", "Region", "Report", "ReportCounter",
    "ReportEvent", "ReportLevel", "Responsibility", "StaffRole", "current_terms_q", "photo_upload_to",
]
