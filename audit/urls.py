from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("change-log/", views.change_log_list, name="change_log_list"),
    path("change-log/<int:pk>/", views.change_log_detail, name="change_log_detail"),
]
