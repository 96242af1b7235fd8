"""Sign-in URLs: the throttled sign-in page and the TOTP second factor (included at the
root of ``pension/urls.py``)."""

from django.urls import path

from pension import auth_views

urlpatterns = [
    path(
        "login/", auth_views.StaffLoginView.as_view(redirect_authenticated_user=True), name="login"
    ),
    path("second-factor/enrol/", auth_views.second_factor_enrol, name="second_factor_enrol"),
    path("second-factor/verify/", auth_views.second_factor_verify, name="second_factor_verify"),
]
