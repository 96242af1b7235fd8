"""Routes of base declaration and contribution cases, included by ``contributions/urls.py``."""

from django.urls import path

from contributions import base_views

urlpatterns = [
    path("bases/", base_views.base_index, name="base_index"),
    path("bases/redetermine", base_views.base_redetermine, name="base_redetermine"),
    path("employers/<int:pk>/bases/", base_views.base_employer, name="base_employer"),
    path(
        "employers/<int:pk>/bases/<int:person_pk>/declare",
        base_views.base_declare,
        name="base_declare",
    ),
    path("employers/<int:pk>/bases/import/", base_views.base_import, name="base_import"),
    path("people/<int:pk>/base/", base_views.base_choose, name="base_choose"),
    path("people/<int:pk>/back-payment/", base_views.case_back_payment, name="case_back_payment"),
    path(
        "people/<int:pk>/base-correction/",
        base_views.case_base_correction,
        name="case_base_correction",
    ),
    path("people/<int:pk>/refund/", base_views.case_refund, name="case_refund"),
    path("people/<int:pk>/shortfall/", base_views.case_shortfall, name="case_shortfall"),
    path(
        "people/<int:pk>/certificate.pdf",
        base_views.contribution_certificate,
        name="contribution_certificate",
    ),
]
