"""Every domain error of gridapp, in one place: what a service raises, with the machine
code and the message the API's error format shows (config.api.errors turns them into
responses: 400 validation, 403 permission, 404 hidden, 409 wrong state)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from config.api.errors import Conflict, DomainError, Forbidden, Hidden, InvalidTransition


# --- Photos -----------------------------------------------------------------------


class UnsupportedMedia(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_media"
    default_detail = _("This file is not a supported image (JPEG, PNG, WebP or HEIC).")


class FileTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = _("The file is too large.")


class ImageInvalid(DomainError):
    default_code = "image_invalid"
    default_detail = _("The image is corrupt or incomplete.")


class PhotoNotAllowed(Forbidden):
    default_code = "not_a_member"
    default_detail = _("Only grid members and leaders, department handlers and dispatchers "
                       "can upload photos.")


class UploadBudgetExceeded(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "upload_budget_exceeded"
    default_detail = _("You have uploaded as many image pixels as an hour allows; try again "
                       "in the next hour.")


# --- Grids and memberships --------------------------------------------------------


class InviteInvalid(DomainError):
    default_code = "invite_invalid"
    default_detail = _("The invite code is invalid, expired or already used.")


class AlreadyMember(Conflict):
    default_code = "already_member"
    default_detail = _("You already belong to this grid or have asked to join it.")


# --- Reports ----------------------------------------------------------------------


class TermOverlaps(Conflict):
    default_code = "term_overlaps"
    default_detail = _("The term overlaps another leader term of this grid.")


class NotAMember(Forbidden):
    default_code = "not_a_member"
    default_detail = _("Only active grid members and grid leaders can report problems.")


class OutsideYourRegions(Forbidden):
    default_code = "outside_your_regions"
    default_detail = _("A call is taken for a point under your own regions.")


class OutsideAllGrids(DomainError):
    """A report's point: nothing to file it under (400)."""

    default_code = "outside_all_grids"
    default_detail = _("The point lies outside every grid.")


class NoGridHere(Hidden):
    """`GET /grids/locate/`: no grid the user may see contains the point (404)."""

    default_code = "outside_all_grids"
    default_detail = _("The point lies outside every grid.")


class PhotoInvalid(DomainError):
    default_code = "photo_invalid"
    default_detail = _("A photo is not yours, does not exist or belongs to another report.")


class ContentRejected(DomainError):
    default_code = "content_rejected"
    default_detail = _("The text did not pass the content check; please rephrase it.")


# --- The lifecycle ----------------------------------------------------------------


class NoteRequired(DomainError):
    default_code = "note_required"
    default_detail = _("Say why: this action needs a note.")


class AfterPhotoRequired(DomainError):
    default_code = "after_photo_required"
    default_detail = _("Resolving needs at least one \"after\" photo.")


class DepartmentRequired(DomainError):
    default_code = "department_required"
    default_detail = _("Choose a department: there is no suggestion for this report.")


class DepartmentOutOfReach(DomainError):
    default_code = "department_out_of_reach"
    default_detail = _("A report goes to a department of its level's region or above.")


class InvalidOriginal(DomainError):
    default_code = "invalid_duplicate_of"
    default_detail = _("A report is merged into another open report.")


class VerificationClosed(Conflict):
    default_code = "verification_closed"
    default_detail = _("Verifying or reopening is possible for %(days)s days after resolving.")


class ExtensionPending(Conflict):
    default_code = "extension_pending"
    default_detail = _("An extension asked for is still waiting for the dispatcher.")


class NoExtensionPending(Conflict):
    default_code = "no_extension_pending"
    default_detail = _("No extension has been asked for.")


class AlreadyRated(Conflict):
    default_code = "already_rated"
    default_detail = _("This report has already been rated.")


class TopLevel(InvalidTransition):
    default_detail = _("The city is the top level: there is nowhere to escalate to.")


# --- Governance projects ------------------------------------------------------------


class ReportsOutsideProject(DomainError):
    default_code = "report_outside_region"
    default_detail = _("Every report of a project lies under its region and is visible to you.")


class ReportInProject(Conflict):
    default_code = "report_in_project"
    default_detail = _("A report belongs to one project: one of these is in another already.")


class OutcomeRequired(DomainError):
    default_code = "outcome_required"
    default_detail = _("Say what the project achieved: completing it needs an outcome.")
