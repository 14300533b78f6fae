"""What each Ozon Performance operation does to the account: the reviewed classification table.

Read-only mode and the tool annotations of the Ozon profile come from this table, not from the
HTTP method: Ozon reads with POST in several places (minimal bids, recommended bids, dynamic
budget), and report submissions are POSTs that change nothing in the account. An operation that
is not in the table (a newer spec) is never exposed in read-only mode.

Reviewed against the bundled spec (40 operations); the test suite checks that the table and the
spec name the same operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ozon_mcp.adapters.openapi.naming import OperationAnnotations

OZON_API_HOST = "api-performance.ozon.ru"


class Effect(Enum):
    """What calling an operation does to the advertising account."""

    READ = "read"  # only reads
    PREPARES_REPORT = "prepares-report"  # starts a report job; the account is unchanged
    MUTATING = "mutating"  # creates, changes, (de)activates or deletes something


@dataclass(frozen=True)
class Classification:
    """The effect of one operation, and for mutating ones how it changes things."""

    effect: Effect
    destructive: bool = False  # removes, disables or overwrites something
    idempotent: bool = False  # repeating the same call changes nothing more

    @property
    def read_only_safe(self) -> bool:
        """Exposed in read-only mode: it cannot change the account."""
        return self.effect is not Effect.MUTATING

    def annotations(self) -> OperationAnnotations:
        """The MCP hints this classification stands for."""
        if self.effect is Effect.READ:
            return OperationAnnotations(read_only=True, destructive=False, idempotent=True)
        # A report submission creates a report job (it counts against the report limits), so
        # it is not "read-only" in MCP's sense, though it never changes the account.
        return OperationAnnotations(
            read_only=False, destructive=self.destructive, idempotent=self.idempotent
        )


_READ = Classification(Effect.READ)
_REPORT = Classification(Effect.PREPARES_REPORT)


def _mutating(*, destructive: bool, idempotent: bool) -> Classification:
    return Classification(Effect.MUTATING, destructive=destructive, idempotent=idempotent)


OZON_OPERATIONS: dict[str, Classification] = {
    # Campaign
    "ListCampaigns": _READ,
    "ListCampaignObjects": _READ,
    "GetLimitsList": _READ,
    "ExternalCampaign_BidBySKU": _READ,  # POST: minimal bids for SKUs
    # Statistics
    "SubmitRequest": _REPORT,
    "VideoCampaignsSubmitRequest": _REPORT,
    "AttributionSubmitRequest": _REPORT,
    "StatisticsCheck": _READ,
    "ListReports": _READ,
    "ListReportsExternal": _READ,
    "DownloadStatistics": _READ,
    "MediaCampaignList": _READ,
    "ProductCampaignList": _READ,
    "GetCampaignExpense": _READ,
    "GetCampaignDailyStats": _READ,
    "SearchPromoOrdersReportSubmitRequest": _REPORT,
    "SearchPromoProductsReportSubmitRequest": _REPORT,
    # Ad
    "CreateProductCampaignCPCV2": _mutating(destructive=False, idempotent=False),
    "CalculateDynamicBudget": _READ,  # POST: a calculation, nothing is saved
    "ActivateCampaign": _mutating(destructive=False, idempotent=True),
    "DeactivateCampaign": _mutating(destructive=True, idempotent=True),
    "PatchProductCampaign": _mutating(destructive=True, idempotent=True),  # overwrites settings
    # Product
    "AddProducts": _mutating(destructive=False, idempotent=False),
    "UpdateProducts": _mutating(destructive=True, idempotent=True),  # overwrites bids
    "GetProductsV2": _READ,
    "DeleteProducts": _mutating(destructive=True, idempotent=True),
    "GetProductsCompetitiveBids": _READ,
    # Search-Promo
    "ExternalCampaign_ListSearchPromoProductsV2": _READ,  # POST: a filtered list
    "ExternalCampaign_GetProductsRecommendedBids": _READ,  # POST: recommendations
    "ExternalCampaign_SetSearchPromoBidsV2": _mutating(destructive=True, idempotent=True),
    "ExternalCampaign_GetCPOMinBids": _READ,  # POST: fixed minimal bids
    "ExternalCampaign_BatchEnableProducts": _mutating(destructive=False, idempotent=True),
    "ExternalCampaign_BatchDisableProducts": _mutating(destructive=True, idempotent=True),
    "ExternalCampaign_DeleteSearchPromoBidsV2": _mutating(destructive=True, idempotent=True),
    "ExternalCampaign_BatchEnableCarrots4": _mutating(destructive=False, idempotent=True),
    "ExternalCampaign_BatchDisableCarrots4": _mutating(destructive=True, idempotent=True),
    # Vendor
    "VendorStatisticsSubmitRequest": _REPORT,
    "VendorStatisticsListReports": _READ,
    "VendorStatisticsCheck": _READ,
    "GetVendorTag": _READ,
}


def is_ozon_performance(document: dict[str, Any]) -> bool:
    """True when the spec describes the Ozon Performance API (its servers name Ozon's host)."""
    servers = document.get("servers")
    if not isinstance(servers, list):
        return False
    return any(
        isinstance(server, dict) and OZON_API_HOST in str(server.get("url", "")).lower()
        for server in servers
    )


def classify(operation_id: str | None) -> Classification | None:
    """The reviewed classification of an Ozon operation, or None when it is not in the table."""
    return OZON_OPERATIONS.get(operation_id) if operation_id else None
