"""The data of gridapp, one module per area; everything is importable from here
(`from gridapp.models import Report`), so a model may move between modules freely."""

from .evaluations import Publication, Scorecard, ScorecardLine
from .grids import BBOX_FIELDS, Grid, GridEvent, GridMembership, Invite, LeaderTerm, current_terms_q
from .notifications import Notification
from .photos import Photo, photo_upload_to
from .projects import Project
from .regions import Department, Region
from .reports import Category, Report, ReportCounter, ReportEvent, ReportLevel, Responsibility
from .staff import StaffRole
from .versions import GridIndexVersion, RolesVersion

__all__ = [
    "BBOX_FIELDS", "Category", "Department", "Grid", "GridEvent", "GridIndexVersion", "GridMembership",
    "Invite", "LeaderTerm", "Notification", "Photo", "Project", "Publication", "Region",
    "Report", "ReportCounter", "Scorecard", "ScorecardLine",
    "ReportEvent", "ReportLevel", "Responsibility", "RolesVersion", "StaffRole", "current_terms_q", "photo_upload_to",
]
