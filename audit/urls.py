from django.urls import path

from . import archive_views, views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("change-log/", views.change_log_list, name="change_log_list"),
    path("change-log/<int:pk>/", views.change_log_detail, name="change_log_detail"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/scan", views.risk_scan_start, name="risk_scan_start"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/assign", views.alert_assign, name="alert_assign"),
    path("alerts/<int:pk>/explain", views.alert_explain, name="alert_explain"),
    path("alerts/<int:pk>/close", views.alert_close, name="alert_close"),
    path("alerts/<int:pk>/inspect", views.alert_inspect, name="alert_inspect"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/close", views.inspection_close, name="inspection_close"),
    path("findings/<int:pk>/refer", views.finding_refer, name="finding_refer"),
    path("data-quality/", views.data_quality_list, name="data_quality_list"),
    path("data-quality/<int:pk>/", views.data_quality_detail, name="data_quality_detail"),
    path("data-quality/run", views.data_quality_start, name="data_quality_start"),
    path("controls/", views.control_reports, name="control_reports"),
    path("statistics/", views.statistics_ledger, name="statistics_ledger"),
    path("statistics/export", views.statistics_ledger_export, name="statistics_ledger_export"),
    path("statistics/take", views.statistics_ledger_take, name="statistics_ledger_take"),
    path("statistics/analysis/", views.statistics_analysis, name="statistics_analysis"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/print", views.checklist_print, name="checklist_print"),
    path("checklist/pdf", views.checklist_pdf, name="checklist_pdf"),
    path("checklist/<int:item>/assess", views.checklist_assess, name="checklist_assess"),
    path("checklist/<int:item>/evidence", views.checklist_attach, name="checklist_attach"),
    # business archives (业务档案, §14)
    path("archives/", archive_views.volume_list, name="volume_list"),
    path("archives/volumes/<int:pk>/", archive_views.volume_detail, name="volume_detail"),
    path(
        "archives/volumes/<int:pk>/items/<int:item_pk>/type",
        archive_views.volume_item_classify,
        name="volume_item_classify",
    ),
    path("archives/cases/", archive_views.case_list, name="archive_case_list"),
    path("archives/cases/<int:pk>/file", archive_views.case_file, name="archive_case_file"),
    path("archives/handovers/", archive_views.handover_list, name="handover_list"),
    path("archives/handovers/<int:pk>/", archive_views.handover_detail, name="handover_detail"),
    path(
        "archives/handovers/<int:pk>/confirm",
        archive_views.handover_confirm,
        name="handover_confirm",
    ),
    path("archives/handovers/<int:pk>/print", archive_views.handover_print, name="handover_print"),
]
