from django.urls import include, path

from . import views

app_name = "benefits"
urlpatterns = [
    path("", views.index, name="index"),
    path("people/<int:pk>/retirement/", views.retirement_case, name="retirement_case"),
    path("determinations/<int:pk>/", views.determination_detail, name="determination_detail"),
    path("determinations/<int:pk>/pdf", views.determination_pdf, name="determination_pdf"),
    path("payment-instructions/", views.payment_instruction_list, name="payment_instruction_list"),
    # each part of benefits keeps its own pages (names stay in the "benefits" namespace)
    path("", include("benefits.payroll.urls")),
    path("", include("benefits.suspension.urls")),
    path("", include("benefits.adjustment.urls")),
    path("", include("benefits.survivors.urls")),
]
