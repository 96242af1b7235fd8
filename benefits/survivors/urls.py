"""Pages of survivors' benefits and receivables (遗属待遇, 应收待追回), in the "benefits"
namespace (included by ``benefits.urls``)."""

from django.urls import path

from benefits.survivors import views

urlpatterns: list = [
    path("people/<int:pk>/survivor-claim/", views.survivor_claim, name="survivor_claim"),
    path("survivor-claims/<int:pk>/", views.survivor_claim_detail, name="survivor_claim_detail"),
    path("receivables/", views.receivable_list, name="receivable_list"),
    path("receivables/<int:pk>/", views.receivable_detail, name="receivable_detail"),
    path(
        "receivables/<int:pk>/write-off/",
        views.receivable_write_off,
        name="receivable_write_off",
    ),
]
