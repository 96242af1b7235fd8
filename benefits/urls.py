from django.urls import path

from . import views

app_name = "benefits"
urlpatterns = [
    path("", views.index, name="index"),
    path("people/<int:pk>/retirement/", views.retirement_case, name="retirement_case"),
    path("determinations/<int:pk>/", views.determination_detail, name="determination_detail"),
]
