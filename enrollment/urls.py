from django.urls import include, path

from . import views

app_name = "enrollment"
urlpatterns = [
    path("", views.index, name="index"),
    path("people/", views.person_search, name="person_search"),
    path("people/new/", views.person_register, name="person_register"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/contact/", views.person_contact, name="person_contact"),
    path("people/<int:pk>/bank-account/", views.person_bank_account, name="person_bank_account"),
    path("people/<int:pk>/key-data/", views.person_key_data, name="person_key_data"),
    path(
        "people/<int:pk>/flexible/<str:action>",
        views.person_flexible_contribution,
        name="person_flexible_contribution",
    ),
    path("employers/", views.employer_search, name="employer_search"),
    path("employers/new/", views.employer_register, name="employer_register"),
    path("employers/<int:pk>/", views.employer_detail, name="employer_detail"),
    path("employers/<int:pk>/status/<str:action>", views.employer_status, name="employer_status"),
    path("employers/<int:pk>/employees/add", views.employment_add, name="employment_add"),
    path(
        "employers/<int:pk>/employees/<int:employment_pk>/remove",
        views.employment_remove,
        name="employment_remove",
    ),
    path("", include("enrollment.excel_urls")),
]
