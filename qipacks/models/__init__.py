"""QI packs and recommendations, uptake records and history, data-quality reports."""

from .data_quality import (
    DataQualityAccess,
    DataQualityImport,
    DataQualityIndicator,
    DataQualityReport,
    DataQualityValue,
)
from .pages import (
    QIPackDownload,
    QIPackIndexPage,
    QIPackPage,
    QIPackRelated,
    Recommendation,
)
from .rollups import UptakeMonthly, UptakeTally
from .uptake import (
    EvidenceDocument,
    UptakeChange,
    UptakeRecord,
    UptakeReminder,
    UptakeStatus,
)

__all__ = [
    "DataQualityAccess",
    "DataQualityImport",
    "DataQualityIndicator",
    "DataQualityReport",
    "DataQualityValue",
    "EvidenceDocument",
    "QIPackDownload",
    "QIPackIndexPage",
    "QIPackPage",
    "QIPackRelated",
    "Recommendation",
    "UptakeChange",
    "UptakeMonthly",
    "UptakeRecord",
    "UptakeReminder",
    "UptakeStatus",
    "UptakeTally",
]
