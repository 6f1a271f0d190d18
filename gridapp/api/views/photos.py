"""`POST /photos/`: one image through the pipeline (`gridapp.images`), then stored."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.openapi import errors
from config.api.throttling import CreateThrottle
from gridapp import images
from gridapp.api import examples
from gridapp.api.serializers import reports as s
from gridapp.services import photos


@errors({400: ["image_invalid", "content_rejected"], 403: ["not_a_member"],
         413: ["file_too_large"]})
class PhotoUpload(APIView):
    """One image per request in the multipart field `file`, as `wx.uploadFile` sends it."""

    parser_classes = [MultiPartParser]
    throttle_classes = [CreateThrottle]
    throttle_scope = "upload"

    @extend_schema(request={"multipart/form-data": s.PhotoUploadSerializer},
                   responses={201: s.PhotoSerializer}, examples=examples.UPLOAD_PHOTO)
    def post(self, request: Request) -> Response:
        now = timezone.now()
        photos.check_may_upload(request.user, now=now)  # before a byte of the body is read
        # Before the body is parsed: the limit is enforced while it streams in.
        request.upload_handlers.insert(0, images.SizeLimitUploadHandler(request))
        form = s.PhotoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _one_file_only(request)
        # The CPU-bound pipeline runs before the idempotency transaction, so that no
        # database lock is held while an image decodes.
        processed = images.process(form.validated_data["file"], before_decoding=lambda pixels:
                                   photos.charge_pixels(request.user, pixels, now=now))
        return idempotent(request, lambda: Response(
            s.PhotoSerializer(photos.upload_photo(
                processed, actor=request.user, point=form.validated_data.get("point")),
                context={"request": request}).data,
            status=status.HTTP_201_CREATED))


def _one_file_only(request: Request) -> None:
    files = [f for _name, uploads in request.FILES.lists() for f in uploads]
    if len(files) > 1:
        raise serializers.ValidationError({"file": [_("Send one file per request.")]})
