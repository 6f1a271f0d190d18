from django.urls import path

from . import views

urlpatterns = [
    path("auth/wechat/login", views.WeChatLoginView.as_view(), name="wechat-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/wechat/phone", views.WeChatPhoneView.as_view(), name="wechat-phone"),
]
