"""The service layer: every action and access rule, under both front doors (``api/``, ``console/``).

A front door parses its request (a JSON body, a form), calls one function here with the
:class:`Platform` and the acting :class:`ApiKey`, and renders what comes back (problem+json or
an HTML page for errors). The functions check access first, apply the platform's rules and
limits (what they write reaches the executor as events), so a browser can do nothing a Bearer
client with the same key could not, and neither front door repeats a rule.

    platform.py        Platform: settings, store, executor, event dispatcher, caches
    health.py          readiness: the database, the artifact store this process reads
    authentication.py  Authenticator: a key's secret → the key, cached; console sessions
    access.py          scopes, owners, the platform owner's shared models
    fields.py          field rules both front doors meet; InvalidField
    models.py          create, get, list, update, delete
    samples.py         upload (sample_formats.py parses JSON/NDJSON/CSV), list, delete
    training.py        the train table, what data a model lacks, effort estimates
    runs.py            list, get, cancel
    run_events.py      a run's event stream (SSE frames), replayed then followed
    versions.py        list, activate, report, export
    label_issues.py    likely label errors of the active version: list, dismiss
    predict.py         predictions within the limits (serving.py: loaded predictors)
    keys.py            create, list, revoke
    pool.py            unlabeled texts beside a model: add (same formats and limits as samples), list, delete
    suggestions.py     what to label next, and labeling a suggestion (suggestion_cache.py: scored pools)
    webhooks.py        webhook endpoints (create, list, update, delete, rotate), deliveries, ping
"""

from __future__ import annotations

from ..store import (
    FINAL_RUN_STATES,
    SCOPES,
    ApiKey,
    LabelIssue,
    Model,
    PoolCounts,
    PoolText,
    Run,
    RunEvent,
    Sample,
    StoreUnavailable,
    Suggestion,
    Version,
    WebhookDelivery,
    WebhookEndpoint,
)
from .access import (
    HANDLE_RE,
    PLATFORM_OWNER,
    check_model_access,
    check_sample_access,
    checked_handle,
    has_scope,
    key_scope_owner,
    may,
    may_read_samples,
    readable_owners,
    require,
)
from .authentication import Authenticator, KeyCache
from .bodies import read_capped
from .fields import LABEL_MAX, InvalidField, check_labels
from .health import check_ready
from .label_issues import LABEL_ISSUES_LIMIT_MAX, dismiss_label_issue, list_label_issues, relabel_sample
from .keys import OWNER_RE, create_key, key_to_revoke, list_keys, revoke_key
from .models import (
    TASKS,
    AutoRetrain,
    Keep,
    ModelPage,
    create_model,
    delete_model,
    get_model,
    labels_in_use,
    list_models,
    task_has_labels,
    update_model,
)
from .platform import Platform
from .pool import PoolPage, PoolUpload, add_pool_texts, clear_pool, delete_pool_text, list_pool, validate_pool_texts
from .predict import QUICK_SECONDS, PredictCost, Prediction, predict, predict_cost, predict_is_quick
from .run_events import open_run_events
from .runs import RunPage, cancel_run, elapsed_seconds, get_run, list_runs
from .sample_formats import parse_sample_body
from .samples import SampleIn, SamplePage, SampleUpload, add_samples, delete_sample, list_samples, validate_samples
from .serving import PredictorCache, limit_inference_threads, warm_serving
from .suggestion_cache import SuggestionCache
from .suggestions import SUGGESTIONS_MAX, SuggestionList, label_suggestion, suggestions
from .training import (
    DEFAULT_EFFORT,
    EFFORTS,
    TrainingEstimate,
    TrainOutcome,
    estimate_training,
    lacking,
    request_train,
    train,
)
from .webhooks import (
    MAX_WEBHOOKS_PER_OWNER,
    WEBHOOK_EVENTS,
    WEBHOOK_SCOPE,
    CreatedWebhook,
    DeliveryPage,
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    ping_webhook,
    retry_delivery,
    rotate_webhook_secret,
    update_webhook,
)
from .versions import (
    ExportFile,
    VersionList,
    activate_version,
    export_version,
    get_version,
    list_versions,
    version_report,
)

__all__ = [
    "read_capped",
    # the platform and who is asking
    "Platform",
    "Authenticator",
    "KeyCache",
    "PredictorCache",
    "limit_inference_threads",
    "warm_serving",
    "check_ready",
    # access
    "PLATFORM_OWNER",
    "HANDLE_RE",
    "require",
    "has_scope",
    "may",
    "checked_handle",
    "check_model_access",
    "check_sample_access",
    "may_read_samples",
    "readable_owners",
    "key_scope_owner",
    # field rules
    "LABEL_MAX",
    "TASKS",
    "EFFORTS",
    "DEFAULT_EFFORT",
    "InvalidField",
    "check_labels",
    # models
    "AutoRetrain",
    "Keep",
    "ModelPage",
    "get_model",
    "list_models",
    "create_model",
    "update_model",
    "delete_model",
    "labels_in_use",
    "list_label_issues",
    "relabel_sample",
    "LABEL_ISSUES_LIMIT_MAX",
    "dismiss_label_issue",
    "LabelIssue",
    "task_has_labels",
    # samples
    "SampleIn",
    "SampleUpload",
    "SamplePage",
    "parse_sample_body",
    "validate_samples",
    "add_samples",
    "list_samples",
    "delete_sample",
    # the pool and what to label next
    "PoolUpload",
    "PoolPage",
    "validate_pool_texts",
    "add_pool_texts",
    "list_pool",
    "delete_pool_text",
    "clear_pool",
    "SuggestionCache",
    "SuggestionList",
    "SUGGESTIONS_MAX",
    "suggestions",
    "label_suggestion",
    "PoolText",
    "PoolCounts",
    "Suggestion",
    # training
    "TrainOutcome",
    "TrainingEstimate",
    "request_train",
    "train",
    "lacking",
    "estimate_training",
    # runs
    "RunPage",
    "open_run_events",
    "list_runs",
    "get_run",
    "cancel_run",
    "elapsed_seconds",
    # versions
    "ExportFile",
    "VersionList",
    "list_versions",
    "get_version",
    "activate_version",
    "version_report",
    "export_version",
    # predict
    "PredictCost",
    "Prediction",
    "QUICK_SECONDS",
    "predict",
    "predict_cost",
    "predict_is_quick",
    # keys
    "OWNER_RE",
    "create_key",
    "list_keys",
    "key_to_revoke",
    "revoke_key",
    # webhooks
    "WEBHOOK_EVENTS",
    "WEBHOOK_SCOPE",
    "MAX_WEBHOOKS_PER_OWNER",
    "CreatedWebhook",
    "DeliveryPage",
    "create_webhook",
    "list_webhooks",
    "get_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
    "list_deliveries",
    "retry_delivery",
    "ping_webhook",
    "WebhookEndpoint",
    "WebhookDelivery",
    # records and store facts the front doors show
    "ApiKey",
    "Model",
    "Run",
    "RunEvent",
    "Sample",
    "Version",
    "FINAL_RUN_STATES",
    "SCOPES",
    "StoreUnavailable",
]
