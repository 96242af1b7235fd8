"""Kernel models: regions, agencies, staff users, policy profiles and parameters, and
the internal-control machinery (change log, approvals, attachments, API clients)."""

from .agencies import Agency
from .api_clients import ApiCallLog, ApiClient, ApiClientKind, IdempotencyRecord
from .approvals import ApprovalRequest, ApprovalStatus
from .attachments import Attachment
from .changelog import ChangeAction, ChangeLogEntry
from .enrolment import EnrolmentLink
from .imports import ImportJob
from .payments import PaymentInstruction
from .policy import PolicyParameter, PolicyProfile
from .regions import Region
from .users import StaffUser

__all__ = [
    "Agency",
    "ApiCallLog",
    "ApiClient",
    "ApiClientKind",
    "ApprovalRequest",
    "ApprovalStatus",
    "Attachment",
    "ChangeAction",
    "ChangeLogEntry",
    "EnrolmentLink",
    "IdempotencyRecord",
    "ImportJob",
    "PaymentInstruction",
    "PolicyParameter",
    "PolicyProfile",
    "Region",
    "StaffUser",
]
