"""DRF serializers of registration."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from enrollment.choices import EmployerKind
from enrollment.models import Employer, InsuredPerson
from pension.models import Region
from pension.privacy import full_id_number
from pension.validators import mask_citizen_id, parse_credit_code

# set by the view: whether the caller may see citizen ID numbers in full
FULL_ID_NUMBERS = "full_id_numbers"

ERROR_UNKNOWN_REGION = _("%(code)s is not a division code in use.")


class InsuredPersonSerializer(serializers.ModelSerializer):
    """An insured person (参保人) as external systems read it."""

    id_number = serializers.SerializerMethodField(
        help_text=_(
            "The citizen ID number; masked (140105********123X) unless the key has the "
            "scope enrollment.read_id_numbers."
        )
    )
    region = serializers.CharField(source="region_id", read_only=True, help_text=_("Division code"))
    agency = serializers.CharField(
        source="agency.code", read_only=True, help_text=_("Code of the owning agency")
    )

    class Meta:
        model = InsuredPerson
        fields = [
            "id",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "category",
            "occupation_kind",
            "status",
            "region",
            "agency",
            "first_work_date",
            "first_insured_date",
            "deemed_months",
            "card_number",
            "updated_at",
        ]
        read_only_fields = fields

    def get_id_number(self, person: InsuredPerson) -> str:
        if self.context.get(FULL_ID_NUMBERS, False):
            return full_id_number(person.id_number)  # logged with the request
        return mask_citizen_id(person.id_number)


class EmployerSerializer(serializers.ModelSerializer):
    """An insured employer (参保单位) as external systems read it."""

    region = serializers.CharField(source="region_id", read_only=True, help_text=_("Division code"))
    agency = serializers.CharField(
        source="agency.code", read_only=True, help_text=_("Code of the owning agency")
    )

    class Meta:
        model = Employer
        fields = [
            "id",
            "credit_code",
            "name",
            "kind",
            "status",
            "region",
            "agency",
            "address",
            "registered_on",
            "updated_at",
        ]
        read_only_fields = fields


class EmployerRegistrationSerializer(serializers.Serializer):
    """A market-regulation push (多证合一): a new or changed business registration."""

    message_id = serializers.CharField(
        max_length=64,
        help_text=_("The market-regulation message id; also sent as the Idempotency-Key."),
    )
    credit_code = serializers.CharField(
        max_length=64, help_text=_("Unified social credit code (GB 32100), 18 characters")
    )
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=EmployerKind.choices)
    region = serializers.CharField(
        validators=[RegexValidator(r"^\d{6}$", _("A division code has 6 digits."), code="invalid")],
        help_text=_("Division code (6 digits) within the calling system's region"),
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    contact_person = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate_credit_code(self, value: str) -> str:
        # the validator's own code (length, characters, region, check_character)
        try:
            return parse_credit_code(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from None

    def validate_region(self, value: str) -> Region:
        region = Region.objects.filter(code=value, is_active=True).first()
        if region is None:
            raise serializers.ValidationError(
                ERROR_UNKNOWN_REGION % {"code": value}, code="unknown_region"
            )
        return region


class EmployerRegistrationResultSerializer(serializers.Serializer):
    employer_id = serializers.IntegerField()
    created = serializers.BooleanField(
        help_text=_("True when the push registered a new employer, false when it changed one")
    )
    credit_code = serializers.CharField()
