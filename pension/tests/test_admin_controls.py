"""No single administrator defeats maker-checker (issue 13, DESIGN §2.4): passwords,
flags, second-factor devices, API clients and parameters leave change-log rows through
the admin and any other path; roles, agency and parameters wait for a second person;
second-factor enrolment only by a one-time link the user opens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pension import approvals, enrolment
from pension.errors import Conflict
from pension.models import (
    ApprovalRequest,
    ApprovalStatus,
    ChangeLogEntry,
    EnrolmentLink,
    PolicyParameter,
    StaffUser,
)

pytestmark = pytest.mark.django_db


def _log(object_type: str, object_id) -> list[ChangeLogEntry]:
    return list(
        ChangeLogEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
            "id"
        )
    )


def _user_form(user: StaffUser, **changes) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "agency": user.agency_id or "",
        "roles": ",".join(user.roles),
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_password_set_in_the_admin_is_logged(client, staff):
    client.force_login(staff["admin"])
    target = staff["caseworker"]
    response = client.post(
        f"/admin/pension/staffuser/{target.pk}/password/",
        {"password1": "N3w-pass-2026!x", "password2": "N3w-pass-2026!x", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    [entry] = [e for e in _log("pension.staffuser", target.pk) if "password" in (e.after or {})]
    assert entry.actor == staff["admin"] and entry.action == "update"
    assert entry.before["password"] == "(hidden)" and entry.after["password"] == "(changed)"


def test_a_password_set_outside_the_services_is_logged_too(staff):
    target = staff["caseworker"]
    target.set_password("shell-pass-2026")
    target.save()  # as manage.py changepassword or a shell would
    [entry] = _log("pension.staffuser", target.pk)
    assert entry.actor is None and entry.after == {"password": "(changed)"}
    assert "outside the services" in entry.reason


def test_the_superuser_flag_set_in_the_admin_is_logged(client, staff):
    client.force_login(staff["admin"])
    target = staff["caseworker"]
    response = client.post(
        f"/admin/pension/staffuser/{target.pk}/change/",
        _user_form(target, is_staff="on", is_superuser="on"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = _log("pension.staffuser", target.pk)[-1]
    assert entry.actor == staff["admin"]
    assert (entry.before["is_superuser"], entry.after["is_superuser"]) == (False, True)


def test_roles_changed_in_the_admin_wait_for_a_second_person(client, staff):
    client.force_login(staff["admin"])
    target = staff["caseworker"]
    response = client.post(
        f"/admin/pension/staffuser/{target.pk}/change/",
        _user_form(target, roles="caseworker,reviewer", full_name="王经办甲"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.roles == ["caseworker"]  # not yet
    assert target.full_name == "王经办甲"  # the rest is saved
    request = ApprovalRequest.objects.get(operation="pension.staff_roles_change")
    assert (request.maker, request.status) == (staff["admin"], ApprovalStatus.PENDING)
    assert request.payload == {"roles": ["caseworker", "reviewer"]}
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    target.refresh_from_db()
    assert target.roles == ["caseworker", "reviewer"]
    applied = _log("pension.staffuser", target.pk)[-1]
    assert applied.actor == staff["reviewer"] and applied.after == {"roles": target.roles}


def test_an_agency_changed_in_the_admin_waits_for_a_second_person(client, staff):
    client.force_login(staff["admin"])
    target = staff["caseworker"]
    old, new = target.agency, staff["other_caseworker"].agency
    response = client.post(
        f"/admin/pension/staffuser/{target.pk}/change/", _user_form(target, agency=new.pk)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.agency == old
    request = ApprovalRequest.objects.get(operation="pension.staff_agency_change")
    assert request.agency == new and request.before == {"agency_id": old.pk}
    approvals.approval_request_approve(actor=staff["other_reviewer"], request_id=request.pk)
    target.refresh_from_db()
    assert target.agency == new


def test_an_administrator_cannot_add_or_edit_a_totp_device_and_a_deletion_is_logged(client, staff):
    client.force_login(staff["admin"])
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = client.post(
        "/admin/otp_totp/totpdevice/add/",
        {"user": staff["caseworker"].pk, "name": "mine", "key": "00" * 20, "step": 30,
         "t0": 0, "digits": 6, "tolerance": 1, "drift": 0, "confirmed": "on"},
    )  # fmt: skip
    assert response.status_code == 403
    assert not TOTPDevice.objects.exists()
    device = TOTPDevice(user=staff["caseworker"], name="TOTP", confirmed=True)
    device.save()  # made outside the services: logged as such
    assert _log("otp_totp.totpdevice", device.pk)[0].action == "create"
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    entry = _log("otp_totp.totpdevice", device.pk)[-1]
    assert (entry.action, entry.actor) == ("delete", staff["admin"])


def test_an_enrolment_link_is_issued_in_the_admin_logged_and_valid_once(
    client, staff, demo_password, settings
):
    settings.SECOND_FACTOR_ENROL_NEEDS_LINK = True
    settings.REQUIRE_SECOND_FACTOR = True
    user = staff["caseworker"]
    # with the password alone: no device, no QR code
    assert (
        client.post("/login/", {"username": user.username, "password": demo_password}).status_code
        == 302
    )
    response = client.get("/second-factor/enrol/")
    assert response.status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()
    client.logout()

    settings.REQUIRE_SECOND_FACTOR = False  # the administrator's own factor is not tested here
    client.force_login(staff["admin"])
    response = client.post(
        "/admin/pension/staffuser/",
        {"action": "issue_enrolment_link", "_selected_action": [user.pk]},
        follow=True,
    )
    assert response.status_code == 200
    link = EnrolmentLink.objects.get(user=user)
    assert link.expires_at - link.created_at <= timedelta(hours=24, seconds=5)
    token = next(
        str(m).split("?link=")[1] for m in response.context["messages"] if "?link=" in str(m)
    )
    assert _log("pension.enrolmentlink", link.pk)[0].actor == staff["admin"]
    client.logout()
    settings.REQUIRE_SECOND_FACTOR = True

    # another user cannot use it
    client.force_login(staff["reviewer"])
    assert client.get(f"/second-factor/enrol/?link={token}").status_code == 403
    client.logout()

    client.post("/login/", {"username": user.username, "password": demo_password})
    response = client.get(f"/second-factor/enrol/?link={token}")
    assert response.status_code == 200, (token, response.content.decode()[-1500:])
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/second-factor/enrol/", {"token": code})
    assert response.status_code == 302
    device.refresh_from_db()
    link.refresh_from_db()
    assert device.confirmed and link.used_at is not None
    # used once: a second opening is refused
    assert enrolment.enrolment_link_valid(user=user, token=token) is None


def test_an_expired_link_is_refused(staff):
    link, token = enrolment.enrolment_link_issue(actor=staff["admin"], user=staff["caseworker"])
    EnrolmentLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert enrolment.enrolment_link_valid(user=staff["caseworker"], token=token) is None


def test_a_parameter_changed_in_the_admin_waits_for_a_second_person(client, staff):
    parameter = (
        PolicyParameter.objects.filter(key="approvals.amount_thresholds")
        .order_by("-version")
        .first()
    )
    versions = PolicyParameter.objects.filter(key=parameter.key).count()
    client.force_login(staff["admin"])
    raised = {"city": "99999999.00", "province": "999999999.00"}
    response = client.post(
        f"/admin/pension/policyparameter/{parameter.pk}/change/",
        {
            "value": '{"city": "99999999.00", "province": "999999999.00"}',
            "reference_year": parameter.reference_year or "",
            "published_on": "",
            "source": parameter.source,
            "notes": "thresholds raised",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PolicyParameter.objects.filter(key=parameter.key).count() == versions  # nothing yet
    request = ApprovalRequest.objects.get(operation=approvals.PARAMETER_CHANGE)
    assert request.maker == staff["admin"] and request.payload["value"] == raised
    assert request.before == {"version": parameter.version, "value": parameter.value}
    # the maker cannot approve it, a county reviewer is too low, the province decides
    with pytest.raises(Exception):  # noqa: B017
        approvals.approval_request_approve(actor=staff["admin"], request_id=request.pk)
    with pytest.raises(Exception):  # noqa: B017
        approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    approvals.approval_request_approve(actor=staff["province_reviewer"], request_id=request.pk)
    latest = PolicyParameter.objects.filter(key=parameter.key).order_by("-version").first()
    assert latest.version == parameter.version + 1 and latest.value == raised
    entry = _log("pension.policyparameter", latest.pk)[-1]
    assert entry.actor == staff["province_reviewer"]


def test_a_parameter_request_overtaken_by_another_version_is_stale(staff):
    parameter = (
        PolicyParameter.objects.filter(key="approvals.amount_thresholds")
        .order_by("-version")
        .first()
    )
    first = approvals.policy_parameter_change_request(
        actor=staff["admin"], key=parameter.key, effective_from=parameter.effective_from,
        value={"city": "1.00", "province": "2.00"}, profile=parameter.profile,
        region=parameter.region, notes="one",
    )  # fmt: skip
    second = approvals.policy_parameter_change_request(
        actor=staff["admin"], key=parameter.key, effective_from=parameter.effective_from,
        value={"city": "3.00", "province": "4.00"}, profile=parameter.profile,
        region=parameter.region, notes="two",
    )  # fmt: skip
    approvals.approval_request_approve(actor=staff["province_reviewer"], request_id=first.pk)
    with pytest.raises(Conflict) as refused:
        approvals.approval_request_approve(actor=staff["province_reviewer"], request_id=second.pk)
    assert refused.value.code == "stale_request"
    latest = PolicyParameter.objects.filter(key=parameter.key).order_by("-version").first()
    assert latest.value == {"city": "1.00", "province": "2.00"}
    assert Decimal(latest.value["city"]) == Decimal("1.00")


# --- QuerySet.update, bulk_update and bulk_create send no signal: the watch wraps them ---


def test_a_superuser_flag_set_by_queryset_update_is_logged(staff):
    target = staff["caseworker"]
    changed = StaffUser.objects.filter(pk=target.pk).update(is_superuser=True, is_staff=True)
    assert changed == 1
    [entry] = _log("pension.staffuser", target.pk)
    assert entry.action == "update" and entry.actor is None
    assert entry.before == {"is_superuser": False, "is_staff": False}
    assert entry.after == {"is_superuser": True, "is_staff": True}
    assert entry.reason == "outside the services (command line or shell), QuerySet.update"


def test_roles_and_password_set_by_update_are_logged_in_the_acting_users_name(staff):
    from pension import watch

    target, other = staff["caseworker"], staff["reviewer"]
    with watch.acting_user(staff["admin"]):
        StaffUser.objects.filter(pk__in=[target.pk, other.pk]).update(
            roles=["province_admin"], password="pbkdf2_sha256$1$x$y"
        )
    for user in (target, other):
        [entry] = _log("pension.staffuser", user.pk)
        assert entry.actor == staff["admin"]
        assert entry.before == {"roles": user.roles, "password": "(hidden)"}
        assert entry.after == {"roles": ["province_admin"], "password": "(changed)"}


def test_an_update_of_unwatched_fields_or_without_change_leaves_no_row(staff):
    target = staff["caseworker"]
    StaffUser.objects.filter(pk=target.pk).update(last_login=timezone.now(), email="a@b.cn")
    StaffUser.objects.filter(pk=target.pk).update(is_active=True)  # it already was
    assert _log("pension.staffuser", target.pk) == []


def test_api_client_scopes_and_expiry_changed_by_bulk_update_are_logged(staff):
    from pension.api import keys
    from pension.models import ApiClient, Region

    region = Region.objects.get(code="140000")
    client, _key = keys.api_client_create(
        actor=staff["admin"], name="税务", kind="tax", region=region, scopes=["a.read"]
    )
    logged = len(_log("pension.apiclient", client.pk))
    client.scopes = ["a.read", "b.write"]
    client.expires_at = timezone.now() + timedelta(days=3650)
    assert ApiClient.objects.bulk_update([client], ["scopes", "expires_at"]) == 1
    entries = _log("pension.apiclient", client.pk)
    assert len(entries) == logged + 1
    assert entries[-1].before == {"scopes": ["a.read"], "expires_at": None}
    assert entries[-1].after["scopes"] == ["a.read", "b.write"]
    assert entries[-1].after["expires_at"].startswith(str(client.expires_at.year))


def test_an_api_client_expiry_saved_outside_the_services_is_logged(staff):
    from pension.api import keys
    from pension.models import Region

    region = Region.objects.get(code="140000")
    client, _key = keys.api_client_create(
        actor=staff["admin"], name="财政", kind="finance", region=region, scopes=["a.read"]
    )
    logged = len(_log("pension.apiclient", client.pk))
    client.expires_at = timezone.now() + timedelta(days=1)
    client.save()
    entries = _log("pension.apiclient", client.pk)
    assert len(entries) == logged + 1 and list(entries[-1].after) == ["expires_at"]


def test_a_parameter_value_set_by_update_is_logged(staff):
    parameter = PolicyParameter.objects.filter(key="approvals.amount_thresholds").first()
    old = parameter.value
    PolicyParameter.objects.filter(pk=parameter.pk).update(value={"city": "1", "province": "2"})
    [entry] = _log("pension.policyparameter", parameter.pk)
    assert entry.before == {"value": old}
    assert entry.after == {"value": {"city": "1", "province": "2"}}


def test_a_totp_device_confirmed_through_a_related_manager_update_is_logged(staff):
    target = staff["caseworker"]
    device = TOTPDevice.objects.create(user=target, name="TOTP", confirmed=False)
    created = len(_log("otp_totp.totpdevice", device.pk))
    assert created == 1  # the create itself (outside the services)
    target.totpdevice_set.update(confirmed=True)
    entries = _log("otp_totp.totpdevice", device.pk)
    assert len(entries) == 2
    assert entries[-1].before == {"confirmed": False} and entries[-1].after == {"confirmed": True}


def test_a_superuser_made_by_bulk_create_is_logged(staff):
    [made] = StaffUser.objects.bulk_create(
        [StaffUser(username="bulk_root", is_superuser=True, is_staff=True, password="x")]
    )
    [entry] = _log("pension.staffuser", made.pk)
    assert entry.action == "create" and entry.after["is_superuser"] is True
    assert entry.after["password"] == "(hidden)" and "bulk_create" in entry.reason


def test_a_bulk_create_that_overwrites_or_skips_rows_is_refused(staff):
    from pension.watch import WatchedBulkCreateRefused

    target = staff["caseworker"]
    overwrite = StaffUser(username=target.username, is_superuser=True, password="x")
    with pytest.raises(WatchedBulkCreateRefused):
        StaffUser.objects.bulk_create(
            [overwrite],
            update_conflicts=True,
            unique_fields=["username"],
            update_fields=["is_superuser"],
        )
    with pytest.raises(WatchedBulkCreateRefused):
        StaffUser.objects.bulk_create([overwrite], ignore_conflicts=True)
    target.refresh_from_db()
    assert target.is_superuser is False


def test_the_reasons_and_secrets_the_watch_writes_show_in_chinese(client, staff):
    """Every reason the net writes is a msgid whole (not English glued at run time):
    the change-log pages show it in Chinese, and a secret's stand-in too (issue 15)."""
    from django.utils import translation

    from pension import watch

    with translation.override("zh-hans"):
        chinese = {key: translation.gettext(reason) for key, reason in watch.REASONS.items()}
    assert chinese[(False, "QuerySet.update")] == "业务服务之外（命令行或交互环境），批量更新"
    assert chinese[(True, "QuerySet.bulk_create")] == "管理后台，批量新建"
    assert all(chinese[key] != reason for key, reason in watch.REASONS.items())
    target = staff["caseworker"]
    with watch.acting_user(staff["admin"]):
        StaffUser.objects.filter(pk=target.pk).update(password="pbkdf2_sha256$1$x$y")
    [entry] = _log("pension.staffuser", target.pk)
    assert entry.reason == "admin, QuerySet.update"  # stored as the msgid
    client.force_login(staff["auditor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(f"/audit/change-log/{entry.pk}/").content.decode()
    assert "管理后台，批量更新" in html and "QuerySet" not in html
    assert "(hidden)" not in html and "(changed)" not in html  # a password is not shown
    # a key's stand-in is shown, translated (an API client's creation)
    from pension.api import keys

    api_client, _key = keys.api_client_create(
        actor=staff["admin"], name="税务 1401", kind="tax",
        region=staff["city_caseworker"].region, scopes=["contributions.read"],
    )  # fmt: skip
    created = _log("pension.apiclient", api_client.pk)[0]
    assert created.after["key_hash"] == "(hidden)"
    html = client.get(f"/audit/change-log/{created.pk}/").content.decode()
    assert "（已隐藏）" in html and "(hidden)" not in html
