from django.urls import include, path

from . import views

urlpatterns = [
    path("regions/", views.RegionList.as_view(), name="region-list"),
    path("departments/", views.DepartmentList.as_view(), name="department-list"),
    path("grids/", views.GridList.as_view(), name="grid-list"),
    path("grids/locate/", views.GridLocate.as_view(), name="grid-locate"),
    path("grids/<int:pk>/", views.GridDetail.as_view(), name="grid-detail"),
    path("grids/<int:pk>/invites/", views.InviteCreate.as_view(), name="grid-invites"),
    path("grids/<int:pk>/members/", views.GridMembers.as_view(), name="grid-members"),
    path("memberships/", views.MembershipCreate.as_view(), name="membership-create"),
    *(path(f"memberships/<int:pk>/{action}/",
           views.MembershipDecision.as_view(action=action), name=f"membership-{action}")
      for action in ("approve", "reject", "remove")),
    path("", include("gridapp.api.report_urls")),
]
