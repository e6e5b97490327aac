"""Each resource declared once: the frozen records that cross every layer.

The store returns them, the service layer and the runs pass them around, the API shows them
(its response models are generated from these declarations, see ``fields``). This package is a
leaf: it imports nothing else from u22a8, so every layer may import it.
"""

from __future__ import annotations

from .fields import PublicField, given, is_resource, public_fields, public_values, record_from, shown, shown_property
from .keys import ApiKey
from .label_issues import LabelIssue
from .models import AutoRetrainSetting, Model
from .runs import ACTIVE_RUN_STATES, FINAL_RUN_STATES, Run, RunEvent
from .pool import PoolCounts, PoolText, Suggestion
from .samples import Sample, SampleCounts, SampleStats, TrainingSample
from .versions import Version
from .webhooks import DELIVERY_STATES, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "LabelIssue",
    "Model",
    "AutoRetrainSetting",
    "Run",
    "RunEvent",
    "ACTIVE_RUN_STATES",
    "FINAL_RUN_STATES",
    "PoolText",
    "PoolCounts",
    "Suggestion",
    "Sample",
    "SampleCounts",
    "SampleStats",
    "TrainingSample",
    "Version",
    "WebhookEndpoint",
    "WebhookDelivery",
    "DELIVERY_STATES",
    "PublicField",
    "shown",
    "shown_property",
    "given",
    "public_fields",
    "public_values",
    "is_resource",
    "record_from",
]
