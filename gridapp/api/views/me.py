"""`/me`: the signed-in user as they see themselves, and renaming."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import MeUpdateSerializer
from gridapp.api import examples
from gridapp.api.serializers.me import MeSerializer


class MeView(APIView):
    @extend_schema(responses=MeSerializer, examples=examples.ME)
    def get(self, request: Request) -> Response:
        """The signed-in user: masked phone, roles and grid memberships."""
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer,
                   examples=examples.UPDATE_ME)
    def patch(self, request: Request) -> Response:
        """Rename the signed-in user (`display_name`)."""
        body = MeUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        user = request.user
        if "display_name" in body.validated_data:
            user = services.rename(user, display_name=body.validated_data["display_name"])
        return Response(MeSerializer(user).data)
