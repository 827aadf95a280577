"""CreateCustomKeyStore, DescribeCustomKeyStores, UpdateCustomKeyStore,
ConnectCustomKeyStore, DisconnectCustomKeyStore, DeleteCustomKeyStore; and the custom key
store halves of CreateKey (CustomKeyStoreId / XksKeyId) and GenerateRandom
(CustomKeyStoreId), installed as backend hooks.

The backing CloudHSM clusters and XKS proxies are declared by the test through
``kms_mock.custom_key_stores`` (``core/custom_key_stores.py``). AWS's messages for this
whole family are unrecorded: the texts here are written in AWS's style.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_kms.api.context import RequestContext
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core.custom_key_stores import (
    AWS_CLOUDHSM,
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    DISCONNECTING,
    EXTERNAL_KEY_STORE,
    FAILED,
    PUBLIC_ENDPOINT,
    VPC_ENDPOINT_SERVICE,
    CustomKeyStore,
    keys_in_store,
    make_keys_available,
    make_keys_unavailable,
    new_custom_key_store_id,
    registry_of,
    stores_of,
)
from mock_kms.core.errors import (
    CloudHsmClusterInUseException,
    CloudHsmClusterInvalidConfigurationException,
    CloudHsmClusterNotActiveException,
    CloudHsmClusterNotFoundException,
    CloudHsmClusterNotRelatedException,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNameInUseException,
    CustomKeyStoreNotFoundException,
    IncorrectTrustAnchorException,
    LimitExceededException,
    UnsupportedOperationException,
    ValidationException,
    XksKeyAlreadyInUseException,
    XksKeyInvalidConfigurationException,
    XksKeyNotFoundException,
    XksProxyUriEndpointInUseException,
    XksProxyUriInUseException,
    XksProxyVpcEndpointServiceInUseException,
)
from mock_kms.core.keys import Key

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

DEFAULT_CUSTOM_KEY_STORE_QUOTA = 10
_CLOUDHSM_PARAMETERS = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
_XKS_PARAMETERS = (
    "XksProxyUriEndpoint",
    "XksProxyUriPath",
    "XksProxyVpcEndpointServiceName",
    "XksProxyVpcEndpointServiceOwner",
    "XksProxyAuthenticationCredential",
    "XksProxyConnectivity",
)
MIN_HSMS_FOR_STORE = 2  # CreateCustomKeyStore, UpdateCustomKeyStore, CreateKey (connecting needs 1)


# -- helpers ------------------------------------------------------------------------------


def _store(ctx: RequestContext, store_id: str) -> CustomKeyStore:
    store = stores_of(ctx.here).get(store_id)
    if store is None:
        raise CustomKeyStoreNotFoundException(f"Custom key store {store_id} does not exist.")
    return store


def _invalid_state(store: CustomKeyStore, hint: str = "") -> CustomKeyStoreInvalidStateException:
    message = (
        f"The connection state of custom key store {store.custom_key_store_id} is "
        f"{store.connection_state}, which is not valid for this operation."
    )
    return CustomKeyStoreInvalidStateException(message + (" " + hint if hint else ""))


def _check_name_free(ctx: RequestContext, name: str, exclude: CustomKeyStore | None = None) -> None:
    for other in stores_of(ctx.here).values():
        if other is not exclude and other.name == name:
            raise CustomKeyStoreNameInUseException(
                f"Custom key store name {name} is already in use in this account and Region."
            )


def _require(params: dict[str, Any], names: tuple[str, ...], store_type: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise ValidationException(
            f"{', '.join(missing)} must be specified for a custom key store of type {store_type}."
        )


def _forbid(params: dict[str, Any], names: tuple[str, ...], store_type: str) -> None:
    given = [name for name in names if name in params]
    if given:
        raise ValidationException(f"{', '.join(given)} is not valid for a custom key store of type {store_type}.")


def _check_cluster_for_store(ctx: RequestContext, cluster_id: str, exclude: CustomKeyStore | None = None) -> Any:
    """The CloudHSM checks of CreateCustomKeyStore / UpdateCustomKeyStore; returns the cluster."""
    cluster = registry_of(ctx.backend).find_cluster(cluster_id, ctx.account, ctx.region)
    if cluster is None or cluster.state == "DELETED":
        raise CloudHsmClusterNotFoundException(f"CloudHSM cluster {cluster_id} was not found.")
    registry = registry_of(ctx.backend)
    for other in stores_of(ctx.here).values():
        if other is exclude or other.store_type != AWS_CLOUDHSM:
            continue
        other_cluster = registry.clusters.get(other.cloud_hsm_cluster_id or "")
        related = other_cluster is not None and other_cluster.lineage == cluster.lineage
        if other.cloud_hsm_cluster_id == cluster_id or related:
            raise CloudHsmClusterInUseException(
                f"CloudHSM cluster {cluster_id} is already associated with custom key store "
                f"{other.custom_key_store_id}, or shares a backup history with its cluster."
            )
    if cluster.state != "ACTIVE":
        raise CloudHsmClusterNotActiveException(f"CloudHSM cluster {cluster_id} is not active (state {cluster.state}).")
    if cluster.hsm_count < MIN_HSMS_FOR_STORE:
        raise CloudHsmClusterInvalidConfigurationException(
            f"CloudHSM cluster {cluster_id} must contain at least {MIN_HSMS_FOR_STORE} active HSMs "
            "in different Availability Zones."
        )
    return cluster


def _check_proxy_uniqueness(ctx: RequestContext, store: CustomKeyStore, exclude: CustomKeyStore | None = None) -> None:
    """XksProxyUri / endpoint / VPC endpoint service uniqueness in the account and Region."""
    for other in stores_of(ctx.here).values():
        if other is store or other is exclude or other.store_type != EXTERNAL_KEY_STORE:
            continue
        if other.xks_uri_endpoint == store.xks_uri_endpoint and other.xks_uri_path == store.xks_uri_path:
            raise XksProxyUriInUseException(
                f"The external key store proxy URI {store.xks_uri_endpoint}{store.xks_uri_path} is already "
                f"used by custom key store {other.custom_key_store_id}."
            )
    for other in stores_of(ctx.here).values():
        if other is store or other is exclude or other.store_type != EXTERNAL_KEY_STORE:
            continue
        if other.xks_uri_endpoint == store.xks_uri_endpoint and (
            VPC_ENDPOINT_SERVICE in (other.xks_connectivity, store.xks_connectivity)
        ):
            raise XksProxyUriEndpointInUseException(
                f"The external key store proxy endpoint {store.xks_uri_endpoint} is already used by custom "
                f"key store {other.custom_key_store_id}."
            )
        if (
            store.xks_connectivity == VPC_ENDPOINT_SERVICE
            and other.xks_connectivity == VPC_ENDPOINT_SERVICE
            and other.xks_vpc_endpoint_service_name == store.xks_vpc_endpoint_service_name
        ):
            raise XksProxyVpcEndpointServiceInUseException(
                f"The Amazon VPC endpoint service {store.xks_vpc_endpoint_service_name} is already used by "
                f"custom key store {other.custom_key_store_id}."
            )


def _check_proxy_now(ctx: RequestContext, store: CustomKeyStore) -> None:
    """KMS contacts a PUBLIC_ENDPOINT proxy when the store is created or its settings change;
    for VPC_ENDPOINT_SERVICE connectivity it checks that the endpoint service exists."""
    problem = registry_of(ctx.backend).probe_proxy(store)
    if problem is None:
        return
    error, code, message = problem
    if store.xks_connectivity == VPC_ENDPOINT_SERVICE and code != "XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND":
        return  # reached only through the VPC endpoint, when connecting
    raise error(message)


def _apply_xks_parameters(store: CustomKeyStore, params: dict[str, Any]) -> None:
    if "XksProxyUriEndpoint" in params:
        store.xks_uri_endpoint = params["XksProxyUriEndpoint"]
    if "XksProxyUriPath" in params:
        store.xks_uri_path = params["XksProxyUriPath"]
    if "XksProxyConnectivity" in params:
        store.xks_connectivity = params["XksProxyConnectivity"]
        if store.xks_connectivity == PUBLIC_ENDPOINT:
            store.xks_vpc_endpoint_service_name = None
            store.xks_vpc_endpoint_service_owner = None
    if "XksProxyVpcEndpointServiceName" in params:
        store.xks_vpc_endpoint_service_name = params["XksProxyVpcEndpointServiceName"]
    if "XksProxyVpcEndpointServiceOwner" in params:
        store.xks_vpc_endpoint_service_owner = params["XksProxyVpcEndpointServiceOwner"]
    credential = params.get("XksProxyAuthenticationCredential")
    if credential is not None:
        store.xks_access_key_id = credential["AccessKeyId"]
        store.xks_secret_access_key = credential["RawSecretAccessKey"]


def _check_xks_connectivity(store: CustomKeyStore) -> None:
    if store.xks_connectivity == VPC_ENDPOINT_SERVICE and not store.xks_vpc_endpoint_service_name:
        raise ValidationException(
            "XksProxyVpcEndpointServiceName must be specified when XksProxyConnectivity is VPC_ENDPOINT_SERVICE."
        )
    if store.xks_connectivity == PUBLIC_ENDPOINT and store.xks_vpc_endpoint_service_name:
        raise ValidationException(
            "XksProxyVpcEndpointServiceName is not valid when XksProxyConnectivity is PUBLIC_ENDPOINT."
        )


# -- CreateCustomKeyStore -------------------------------------------------------------


@operation("CreateCustomKeyStore")
def create_custom_key_store(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    store_type = params.get("CustomKeyStoreType", AWS_CLOUDHSM)
    if store_type == AWS_CLOUDHSM:
        _forbid(params, _XKS_PARAMETERS, store_type)
        _require(params, _CLOUDHSM_PARAMETERS, store_type)
    else:
        _forbid(params, _CLOUDHSM_PARAMETERS, store_type)
        _require(
            params,
            ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential", "XksProxyConnectivity"),
            store_type,
        )
    ctx.authorize("kms:CreateCustomKeyStore", resource="*")
    here = ctx.here
    name = params["CustomKeyStoreName"]
    _check_name_free(ctx, name)
    limit = ctx.mock.quota("custom_key_stores") if ctx.mock is not None else DEFAULT_CUSTOM_KEY_STORE_QUOTA
    if len(stores_of(here)) >= limit:
        # AWS's text is unrecorded.
        raise LimitExceededException(
            f"You have reached the limit of {limit} custom key stores in this account and Region."
        )
    store = CustomKeyStore(
        custom_key_store_id=new_custom_key_store_id(),
        name=name,
        store_type=store_type,
        account=here.account,
        region=here.region,
        creation_date=ctx.now(),
    )
    if store_type == AWS_CLOUDHSM:
        cluster_id = params["CloudHsmClusterId"]
        cluster = _check_cluster_for_store(ctx, cluster_id)
        if _normalize(params["TrustAnchorCertificate"]) != _normalize(cluster.trust_anchor_certificate):
            raise IncorrectTrustAnchorException(
                f"The trust anchor certificate does not match the trust anchor certificate of CloudHSM "
                f"cluster {cluster_id}."
            )
        store.cloud_hsm_cluster_id = cluster_id
        store.trust_anchor_certificate = params["TrustAnchorCertificate"]
        store.key_store_password = params["KeyStorePassword"]
    else:
        _apply_xks_parameters(store, params)
        _check_xks_connectivity(store)
        _check_proxy_uniqueness(ctx, store)
        _check_proxy_now(ctx, store)
    stores_of(here)[store.custom_key_store_id] = store
    return {"CustomKeyStoreId": store.custom_key_store_id}


def _normalize(pem: str) -> str:
    return "".join(pem.split())


# -- DescribeCustomKeyStores ----------------------------------------------------------


@operation("DescribeCustomKeyStores")
def describe_custom_key_stores(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    ctx.authorize("kms:DescribeCustomKeyStores", resource="*")
    store_id, name = params.get("CustomKeyStoreId"), params.get("CustomKeyStoreName")
    if store_id and name:
        raise ValidationException("Specify either CustomKeyStoreId or CustomKeyStoreName, but not both.")
    stores = list(stores_of(ctx.here).values())
    if store_id:
        stores = [_store(ctx, store_id)]
    elif name:
        stores = [store for store in stores if store.name == name]
        if not stores:
            raise CustomKeyStoreNotFoundException(f"Custom key store with name {name} does not exist.")
    entries = [store.entry() for store in stores]
    return paginate(
        entries, params, scope="DescribeCustomKeyStores", default_limit=100, max_limit=1000, field="CustomKeyStores"
    )


# -- UpdateCustomKeyStore -------------------------------------------------------------


@operation("UpdateCustomKeyStore")
def update_custom_key_store(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    ctx.authorize("kms:UpdateCustomKeyStore", resource="*")
    store = _store(ctx, params["CustomKeyStoreId"])
    state = store.connection_state
    if store.store_type == AWS_CLOUDHSM:
        _forbid(params, _XKS_PARAMETERS, AWS_CLOUDHSM)
        disconnected_only = [name for name in ("KeyStorePassword", "CloudHsmClusterId") if name in params]
        connected_ok: list[str] = ["NewCustomKeyStoreName"]
    else:
        _forbid(params, _CLOUDHSM_PARAMETERS, EXTERNAL_KEY_STORE)
        disconnected_only = [
            name
            for name in (
                "XksProxyUriEndpoint",
                "XksProxyConnectivity",
                "XksProxyVpcEndpointServiceName",
                "XksProxyVpcEndpointServiceOwner",
            )
            if name in params
        ]
        connected_ok = ["NewCustomKeyStoreName", "XksProxyAuthenticationCredential", "XksProxyUriPath"]
    if disconnected_only and state != DISCONNECTED:
        raise _invalid_state(store, f"Disconnect it to change {', '.join(disconnected_only)}.")
    if state not in (DISCONNECTED, CONNECTED) and any(name in params for name in connected_ok):
        raise _invalid_state(store)
    new_name = params.get("NewCustomKeyStoreName")
    if new_name is not None:
        _check_name_free(ctx, new_name, exclude=store)
    if store.store_type == AWS_CLOUDHSM:
        cluster_id = params.get("CloudHsmClusterId")
        if cluster_id is not None and cluster_id != store.cloud_hsm_cluster_id:
            registry = registry_of(ctx.backend)
            cluster = registry.find_cluster(cluster_id, ctx.account, ctx.region)
            current = registry.clusters.get(store.cloud_hsm_cluster_id or "")
            if cluster is None or cluster.state == "DELETED":
                raise CloudHsmClusterNotFoundException(f"CloudHSM cluster {cluster_id} was not found.")
            if current is not None and cluster.lineage != current.lineage:
                raise CloudHsmClusterNotRelatedException(
                    f"CloudHSM cluster {cluster_id} does not share a backup history (cluster certificate) with "
                    f"CloudHSM cluster {store.cloud_hsm_cluster_id} of custom key store {store.custom_key_store_id}."
                )
            _check_cluster_for_store(ctx, cluster_id, exclude=store)
        if cluster_id is not None:
            store.cloud_hsm_cluster_id = cluster_id
        if "KeyStorePassword" in params:
            store.key_store_password = params["KeyStorePassword"]
    else:
        if any(name in params for name in _XKS_PARAMETERS):
            candidate = dataclasses.replace(store)
            _apply_xks_parameters(candidate, params)
            _check_xks_connectivity(candidate)
            _check_proxy_uniqueness(ctx, candidate, exclude=store)
            _check_proxy_now(ctx, candidate)
            _apply_xks_parameters(store, params)
    if new_name is not None:
        store.name = new_name
    return {}


# -- Connect / Disconnect / Delete ------------------------------------------------------


@operation("ConnectCustomKeyStore")
def connect_custom_key_store(ctx: RequestContext) -> dict[str, Any]:
    ctx.authorize("kms:ConnectCustomKeyStore", resource="*")
    store = _store(ctx, ctx.params["CustomKeyStoreId"])
    if store.connection_state in (DISCONNECTING, FAILED):
        raise _invalid_state(
            store, "To reconnect it, disconnect it (DisconnectCustomKeyStore), then connect it (ConnectCustomKeyStore)."
        )
    if store.connection_state in (CONNECTED, CONNECTING):
        return {}
    registry = registry_of(ctx.backend)
    if store.store_type == AWS_CLOUDHSM:
        cluster = registry.find_cluster(store.cloud_hsm_cluster_id or "", store.account, store.region)
        if cluster is not None and cluster.state not in ("ACTIVE", "DELETED"):
            raise CloudHsmClusterNotActiveException(
                f"CloudHSM cluster {cluster.cluster_id} is not active (state {cluster.state})."
            )
    store.connection_state = CONNECTING
    store.connection_error_code = None
    store.connect_attempt += 1
    _schedule_connection(ctx, store, store.connect_attempt)
    return {}


def _schedule_connection(ctx: RequestContext, store: CustomKeyStore, attempt: int) -> None:
    registry = registry_of(ctx.backend)
    schedule_connection(ctx.backend, ctx.here, store, attempt, ctx.now() + registry.connect_delay)


def schedule_connection(backend: Any, here: Any, store: CustomKeyStore, attempt: int, when: datetime) -> None:
    """A connection attempt (CONNECTING) resolves at ``when`` to CONNECTED or FAILED."""
    registry = registry_of(backend)

    def resolve(_: datetime) -> None:
        if stores_of(here).get(store.custom_key_store_id) is not store:
            return  # deleted meanwhile
        if store.connection_state != CONNECTING or store.connect_attempt != attempt:
            return  # disconnected (or reconnected) meanwhile
        error_code = registry.connection_outcome(store)
        if error_code is None:
            store.connection_state = CONNECTED
            make_keys_available(here, store.custom_key_store_id)
        else:
            store.connection_state = FAILED
            store.connection_error_code = error_code

    backend.schedule(when, resolve)


def reschedule_connections(backend: Any) -> None:
    """After a state load: stores saved while CONNECTING resolve on the next request."""
    now = backend.clock.now()
    for here in backend.regions():
        for store in stores_of(here).values():
            if store.connection_state == CONNECTING:
                schedule_connection(backend, here, store, store.connect_attempt, now)


@operation("DisconnectCustomKeyStore")
def disconnect_custom_key_store(ctx: RequestContext) -> dict[str, Any]:
    ctx.authorize("kms:DisconnectCustomKeyStore", resource="*")
    store = _store(ctx, ctx.params["CustomKeyStoreId"])
    if store.connection_state in (DISCONNECTED, DISCONNECTING):
        raise _invalid_state(store)
    store.connection_state = DISCONNECTED
    store.connection_error_code = None
    make_keys_unavailable(ctx.here, store.custom_key_store_id)
    return {}


@operation("DeleteCustomKeyStore")
def delete_custom_key_store(ctx: RequestContext) -> dict[str, Any]:
    ctx.authorize("kms:DeleteCustomKeyStore", resource="*")
    store = _store(ctx, ctx.params["CustomKeyStoreId"])
    if store.connection_state != DISCONNECTED:
        raise _invalid_state(store, "Disconnect it (DisconnectCustomKeyStore) before deleting it.")
    if keys_in_store(ctx.here, store.custom_key_store_id):
        raise CustomKeyStoreHasCMKsException(
            f"Custom key store {store.custom_key_store_id} contains KMS keys. Delete them "
            "(ScheduleKeyDeletion) before deleting the custom key store."
        )
    del stores_of(ctx.here)[store.custom_key_store_id]
    return {}


# -- hooks: CreateKey and GenerateRandom ----------------------------------------------


def create_key_in_custom_key_store(ctx: RequestContext, key: Key) -> None:
    """CreateKey with CustomKeyStoreId / Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE / XksKeyId."""
    params = ctx.params
    origin = key.origin
    store_id = params.get("CustomKeyStoreId")
    xks_key_id = params.get("XksKeyId")
    # Parameter rules [M-doc:CreateKey]; the texts are unrecorded.
    if origin not in (AWS_CLOUDHSM, EXTERNAL_KEY_STORE):
        if xks_key_id:
            raise ValidationException("XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE.")
        raise ValidationException(
            "CustomKeyStoreId is valid only for KMS keys with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE."
        )
    if xks_key_id and origin != EXTERNAL_KEY_STORE:
        raise ValidationException("XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE.")
    if not store_id:
        raise ValidationException(f"CustomKeyStoreId is required for KMS keys with Origin {origin}.")
    if origin == EXTERNAL_KEY_STORE and not xks_key_id:
        raise ValidationException("XksKeyId is required for KMS keys with Origin EXTERNAL_KEY_STORE.")
    if not key.is_symmetric_encryption:
        raise UnsupportedOperationException(
            f"KeySpec {key.spec.name} is not valid for a KMS key in a custom key store; "
            "only SYMMETRIC_DEFAULT keys can be created in a custom key store."
        )
    if key.multi_region:
        raise UnsupportedOperationException("Multi-Region keys cannot be created in a custom key store.")
    store = _store(ctx, store_id)
    if (origin == AWS_CLOUDHSM) != (store.store_type == AWS_CLOUDHSM):
        raise ValidationException(
            f"Origin {origin} is not valid for custom key store {store_id} of type {store.store_type}."
        )
    if store.connection_state != CONNECTED:
        raise _invalid_state(store, "KMS keys can be created only in a CONNECTED custom key store.")
    registry = registry_of(ctx.backend)
    if store.store_type == AWS_CLOUDHSM:
        cluster = registry.find_cluster(store.cloud_hsm_cluster_id or "", store.account, store.region)
        if cluster is None or cluster.state != "ACTIVE" or cluster.hsm_count < MIN_HSMS_FOR_STORE:
            raise CloudHsmClusterInvalidConfigurationException(
                f"CloudHSM cluster {store.cloud_hsm_cluster_id} must be active and contain at least "
                f"{MIN_HSMS_FOR_STORE} active HSMs in different Availability Zones to create a KMS key."
            )
        key.cloud_hsm_cluster_id = store.cloud_hsm_cluster_id
    else:
        proxy = registry.proxies.get(store.xks_uri_endpoint or "")
        external = None
        if proxy is not None:
            external = proxy.keys.get(xks_key_id) if proxy.keys is not None else True
        if not external:
            raise XksKeyNotFoundException(f"The external key store proxy could not find external key {xks_key_id}.")
        if external is not True and not (external.enabled and external.valid_configuration):
            raise XksKeyInvalidConfigurationException(
                f"External key {xks_key_id} must be an enabled AES-256 symmetric key that can encrypt and decrypt."
            )
        for other in keys_in_store(ctx.here, store.custom_key_store_id):
            if other.xks_key_id == xks_key_id:
                raise XksKeyAlreadyInUseException(
                    f"External key {xks_key_id} is already associated with KMS key {other.arn}."
                )
        key.xks_key_id = xks_key_id
    key.custom_key_store_id = store.custom_key_store_id


def generate_random_in_store(ctx: RequestContext, store_id: str) -> None:
    """GenerateRandom with CustomKeyStoreId: a connected CloudHSM key store only."""
    store = _store(ctx, store_id)
    if store.store_type == EXTERNAL_KEY_STORE:
        # Documented: "If you specify the ID of an external key store, GenerateRandom throws an
        # UnsupportedOperationException." The text is unrecorded.
        raise UnsupportedOperationException(
            f"{store_id} is an external key store. GenerateRandom supports only CloudHSM key stores."
        )
    if store.connection_state != CONNECTED:
        raise _invalid_state(store, "GenerateRandom needs a CONNECTED CloudHSM key store.")


def install(mock: KmsMock) -> None:
    """Run on every new mock state (``mock._ON_RESET``): the hooks and ``kms_mock.custom_key_stores``."""
    backend = mock.backend
    backend.extras["create_key_in_custom_key_store"] = create_key_in_custom_key_store
    backend.extras["generate_random_in_store"] = generate_random_in_store
    backend.add_hook("on_state_loaded", reschedule_connections)
    mock.custom_key_stores = registry_of(backend)
