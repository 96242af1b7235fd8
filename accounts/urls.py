from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("<int:pk>/statement/<int:year>/", views.account_statement, name="statement"),
    path("<int:pk>/statement/<int:year>/pdf", views.account_statement_pdf, name="statement_pdf"),
    path("<int:pk>/transfer-out/", views.transfer_out, name="transfer_out"),
    path("<int:pk>/settlement/", views.settlement, name="settlement"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("people/<int:person_pk>/transfer-in/", views.transfer_in, name="transfer_in"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/new/<str:kind>/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/start", views.run_start, name="run_start"),
    path("runs/<int:pk>/approve", views.run_approve, name="run_approve"),
    path("runs/<int:pk>/discard", views.run_discard, name="run_discard"),
]
