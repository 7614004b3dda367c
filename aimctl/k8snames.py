"""Kubernetes name patterns (apimachinery's ``validation.IsDNS1123Label`` and
``IsDNS1123Subdomain``), in one leaf module: the project file, the models and the catalog check
names against the same text, and none of them has to import another for it."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["DNS1123_LABEL_PATTERN", "DNS1123_SUBDOMAIN_PATTERN", "DNS_LABEL", "DNS_SUBDOMAIN"]

DNS1123_LABEL_PATTERN: Final = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN_PATTERN: Final = (
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
DNS_LABEL: Final = re.compile(DNS1123_LABEL_PATTERN)
DNS_SUBDOMAIN: Final = re.compile(DNS1123_SUBDOMAIN_PATTERN)
