"""Kernel models: regions, agencies, staff users, policy profiles and parameters."""

from .agencies import Agency
from .policy import PolicyParameter, PolicyProfile
from .regions import Region
from .users import StaffUser

__all__ = ["Agency", "PolicyParameter", "PolicyProfile", "Region", "StaffUser"]
