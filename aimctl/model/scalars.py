"""Scalar types shared by the AIM models: integer widths, quantities, names and enums."""

import datetime as _dt
import decimal
import re
from typing import Annotated, Any, Final, Literal

from annotated_types import Ge, Interval
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from aimctl.k8snames import DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_PATTERN

__all__ = [
    "DNS1123_LABEL_PATTERN",
    "DNS1123_SUBDOMAIN_PATTERN",
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "LABEL_VALUE_PATTERN",
    "MODEL_ID_PATTERN",
    "QUALIFIED_NAME_PATTERN",
    "QUANTITY_PATTERN",
    "SOURCE_URI_PATTERN",
    "AimPrecision",
    "AimStatusValue",
    "ArtifactMode",
    "ConditionStatus",
    "DateTime",
    "Int32",
    "Int64",
    "Metric",
    "ModelId",
    "NonNegativeInt32",
    "PositiveInt32",
    "ProfileType",
    "Quantity",
    "ReferenceScope",
    "SourceUri",
]

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

QUANTITY_PATTERN: Final = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
QUALIFIED_NAME_PATTERN: Final = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$"
)
LABEL_VALUE_PATTERN: Final = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
MODEL_ID_PATTERN: Final = r"^[a-zA-Z0-9_-]+/[a-zA-Z0-9._-]+$"
SOURCE_URI_PATTERN: Final = r"^(hf|s3)://[^ \t\r\n]+$"

Int32 = Annotated[int, Interval(ge=INT32_MIN, le=INT32_MAX)]
"""An OpenAPI ``format: int32`` integer (the API server rejects values outside the range)."""

Int64 = Annotated[int, Interval(ge=INT64_MIN, le=INT64_MAX)]
NonNegativeInt32 = Annotated[Int32, Ge(0)]
PositiveInt32 = Annotated[Int32, Ge(1)]


def _quantity_input(value: Any) -> Any:
    # int-or-string: an integer is kept in its string form (61 -> "61"); bool is not an int here.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


_MAX_QUANTITY_CHARS: Final = 64
_QUANTITY_PARTS: Final = re.compile(
    r"([+-]?)([0-9]*\.?[0-9]*)(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?[0-9]*\.?[0-9]*))?\Z"
)
_BINARY: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL: Final = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def _quantity_in_range(value: str) -> str:
    """A quantity whose value fits in int64, as the API server and every size computation need
    (``1e309``, ``1e308`` or 5,000 digits are refused here, not turned into a traceback later)."""
    if len(value) > _MAX_QUANTITY_CHARS:
        raise ValueError(f"quantity longer than {_MAX_QUANTITY_CHARS} characters")
    match = _QUANTITY_PARTS.match(value)
    if match is None:
        return value  # the pattern has refused it already
    _, number, binary, decimal_suffix, exponent = match.groups()
    context = decimal.Context(prec=80, Emax=10_000, Emin=-10_000, traps=[])
    magnitude = decimal.Decimal(number or "0")
    if binary:
        magnitude = context.multiply(magnitude, 2 ** _BINARY[binary])
    else:
        power = _DECIMAL[decimal_suffix] if decimal_suffix else 0
        if exponent:
            scaled = decimal.Decimal(exponent)
            if scaled > 1000:
                raise ValueError("quantity beyond int64 (at most 9223372036854775807)")
            power += max(int(scaled), -1000)
        magnitude = context.multiply(magnitude, context.power(decimal.Decimal(10), power))
    if magnitude > INT64_MAX:
        raise ValueError("quantity beyond int64 (at most 9223372036854775807)")
    return value


Quantity = Annotated[
    str,
    BeforeValidator(_quantity_input),
    StringConstraints(pattern=QUANTITY_PATTERN),
    AfterValidator(_quantity_in_range),
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": QUANTITY_PATTERN}]}
    ),
]
"""A Kubernetes resource quantity (``x-kubernetes-int-or-string``), always held as a string."""


def _datetime_input(value: Any) -> Any:
    # YAML 1.1 readers turn unquoted timestamps into datetime objects; keep the written form.
    if isinstance(value, _dt.datetime):
        if value.utcoffset() == _dt.timedelta(0):
            value = value.replace(tzinfo=None)
            return value.isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


DateTime = Annotated[
    str,
    BeforeValidator(_datetime_input),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An RFC 3339 timestamp, kept as the string written (the format itself is not checked)."""

ModelId = Annotated[str, StringConstraints(pattern=MODEL_ID_PATTERN)]
SourceUri = Annotated[str, StringConstraints(pattern=SOURCE_URI_PATTERN)]

Metric = Literal["latency", "throughput"]
AimPrecision = Literal["auto", "fp4", "fp8", "fp16", "fp32", "bf16", "int4", "int8"]
ProfileType = Literal["optimized", "preview", "unoptimized"]
ReferenceScope = Literal["Namespace", "Cluster", "Merged", "Unknown"]
ConditionStatus = Literal["True", "False", "Unknown"]
AimStatusValue = Literal["Pending", "Progressing", "Ready", "Degraded", "Failed", "NotAvailable"]
"""High-level status of models, templates, template caches and artifacts."""
ArtifactMode = Literal["Dedicated", "Shared"]
