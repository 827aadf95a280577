"""Custom key stores: CloudHSM key stores and external key stores (XKS), and the backing
things the mock pretends exist — CloudHSM clusters and XKS proxies — declared by the test.

Nothing outside the process is ever contacted. A test declares, through
``kms_mock.custom_key_stores`` (a :class:`CustomKeyStoreRegistry`), which CloudHSM
clusters and XKS proxies "exist" and how they behave; KMS operations then succeed or fail
as AWS's would against such a backing store::

    cluster = kms_mock.custom_key_stores.add_cloudhsm_cluster("cluster-1234567abcd")
    proxy = kms_mock.custom_key_stores.add_xks_proxy("https://xks.example.com", behaviour="healthy")
    proxy.behaviour = "unreachable"        # the next connection attempt fails

Connection state machine (a documented choice of the mock): ConnectCustomKeyStore moves a
DISCONNECTED store to CONNECTING and returns; the attempt resolves to CONNECTED or to
FAILED (with a ``ConnectionErrorCode``) once ``registry.connect_delay`` of mock time has
passed — by default 0, i.e. on the very next request to the mock. DisconnectCustomKeyStore
is immediate (DISCONNECTING is never observed). While a store is not CONNECTED its keys
are ``Unavailable`` (their Enabled/Disabled state comes back on reconnection; keys pending
deletion stay PendingDeletion).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mock_kms.core.errors import (
    KMSError,
    XksProxyIncorrectAuthenticationCredentialException,
    XksProxyInvalidConfigurationException,
    XksProxyInvalidResponseException,
    XksProxyUriUnreachableException,
    XksProxyVpcEndpointServiceInvalidConfigurationException,
    XksProxyVpcEndpointServiceNotFoundException,
)
from mock_kms.core.keys import Key, KeyState

if TYPE_CHECKING:
    from mock_kms.core.backend import Backend, RegionBackend

AWS_CLOUDHSM = "AWS_CLOUDHSM"
EXTERNAL_KEY_STORE = "EXTERNAL_KEY_STORE"

CONNECTED = "CONNECTED"
CONNECTING = "CONNECTING"
FAILED = "FAILED"
DISCONNECTED = "DISCONNECTED"
DISCONNECTING = "DISCONNECTING"

PUBLIC_ENDPOINT = "PUBLIC_ENDPOINT"
VPC_ENDPOINT_SERVICE = "VPC_ENDPOINT_SERVICE"

REGISTRY_EXTRA = "custom_key_store_registry"  # Backend.extras
STORES_EXTRA = "custom_key_stores"  # RegionBackend.extras: id -> CustomKeyStore
_STATE_EXTRA = "state_before_unavailable"  # Key.extras

# How a declared XKS proxy behaves: the error KMS answers when it checks the proxy
# synchronously (CreateCustomKeyStore / UpdateCustomKeyStore of a PUBLIC_ENDPOINT store)
# and the ConnectionErrorCode of a connection attempt. The messages are unrecorded.
PROXY_BEHAVIOURS: dict[str, tuple[type[KMSError], str, str] | None] = {
    "healthy": None,
    "unreachable": (
        XksProxyUriUnreachableException,
        "XKS_PROXY_NOT_REACHABLE",
        "KMS cannot reach the external key store proxy at {uri}.",
    ),
    "timed_out": (
        XksProxyUriUnreachableException,
        "XKS_PROXY_TIMED_OUT",
        "The external key store proxy at {uri} did not respond in the time allotted.",
    ),
    "wrong_credentials": (
        XksProxyIncorrectAuthenticationCredentialException,
        "INVALID_CREDENTIALS",
        "The external key store proxy at {uri} rejected the proxy authentication credential.",
    ),
    "access_denied": (
        XksProxyIncorrectAuthenticationCredentialException,
        "XKS_PROXY_ACCESS_DENIED",
        "The external key store proxy at {uri} denied access to KMS.",
    ),
    "invalid_response": (
        XksProxyInvalidResponseException,
        "XKS_PROXY_INVALID_RESPONSE",
        "KMS cannot interpret the response from the external key store proxy at {uri}.",
    ),
    "invalid_configuration": (
        XksProxyInvalidConfigurationException,
        "XKS_PROXY_INVALID_CONFIGURATION",
        "The external key store proxy at {uri} is not configured correctly.",
    ),
    "invalid_tls": (
        XksProxyInvalidConfigurationException,
        "XKS_PROXY_INVALID_TLS_CONFIGURATION",
        "The TLS configuration of the external key store proxy at {uri} is not valid.",
    ),
    "vpc_endpoint_service_invalid": (
        XksProxyVpcEndpointServiceInvalidConfigurationException,
        "XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION",
        (
            "The Amazon VPC endpoint service of the external key store proxy at {uri} does not meet the "
            "requirements for an external key store."
        ),
    ),
}

# CloudHSM cluster states (CloudHSM DescribeClusters); only ACTIVE clusters can back a store.
CLUSTER_STATES = (
    "CREATE_IN_PROGRESS", "UNINITIALIZED", "INITIALIZE_IN_PROGRESS", "INITIALIZED", "ACTIVE",
    "UPDATE_IN_PROGRESS", "MODIFY_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS",
    "DELETED", "DEGRADED",
)  # fmt: skip

CLOUDHSM_CONNECTION_ERRORS = (
    "INVALID_CREDENTIALS", "CLUSTER_NOT_FOUND", "NETWORK_ERRORS", "INTERNAL_ERROR",
    "INSUFFICIENT_CLOUDHSM_HSMS", "USER_LOCKED_OUT", "USER_NOT_FOUND", "USER_LOGGED_IN",
    "SUBNET_NOT_FOUND", "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET",
)  # fmt: skip


def _self_signed_certificate(common_name: str) -> str:
    """A real PEM trust anchor (customerCA.crt) for a declared cluster."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime(2024, 1, 1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(eq=False)
class CloudHsmCluster:
    """A CloudHSM cluster the test declared. Attributes may be changed at any time."""

    cluster_id: str
    trust_anchor_certificate: str
    state: str = "ACTIVE"
    hsm_count: int = 2  # CreateCustomKeyStore/UpdateCustomKeyStore/CreateKey need 2, Connect 1
    # The kmsuser password; None accepts any KeyStorePassword.
    kmsuser_password: str | None = None
    # Clusters sharing a backup history (and cluster certificate) share a lineage.
    lineage: str = ""
    # Force the next connection attempts to fail with this ConnectionErrorCode.
    connection_error: str | None = None
    account: str | None = None  # None: any account
    region: str | None = None  # None: any region

    def __post_init__(self) -> None:
        self.lineage = self.lineage or self.cluster_id

    def visible_to(self, account: str, region: str) -> bool:
        return self.account in (None, account) and self.region in (None, region)


@dataclass(eq=False)
class XksExternalKey:
    """A key in the external key manager behind an XKS proxy."""

    key_id: str
    enabled: bool = True
    # The external key must be an AES-256 key that can encrypt and decrypt.
    valid_configuration: bool = True


@dataclass(eq=False)
class XksProxy:
    """An external key store proxy the test declared. Attributes may be changed at any time."""

    uri_endpoint: str
    uri_path: str = "/kms/xks/v1"
    behaviour: str = "healthy"
    # The proxy authentication credential it accepts; None accepts any.
    access_key_id: str | None = None
    secret_access_key: str | None = None
    # None: every XksKeyId names a usable AES-256 external key. Otherwise only these.
    keys: dict[str, XksExternalKey] | None = None
    vpc_endpoint_service_name: str | None = None
    vpc_endpoint_service_owner: str | None = None  # None: any account

    def add_key(self, key_id: str, *, enabled: bool = True, valid_configuration: bool = True) -> XksExternalKey:
        if self.keys is None:
            self.keys = {}
        key = self.keys[key_id] = XksExternalKey(key_id, enabled, valid_configuration)
        return key

    @property
    def uri(self) -> str:
        return self.uri_endpoint + self.uri_path


@dataclass(eq=False)
class CustomKeyStore:
    custom_key_store_id: str
    name: str
    store_type: str
    account: str
    region: str
    creation_date: datetime
    connection_state: str = DISCONNECTED
    connection_error_code: str | None = None
    # AWS_CLOUDHSM
    cloud_hsm_cluster_id: str | None = None
    trust_anchor_certificate: str | None = None
    key_store_password: str | None = None
    # EXTERNAL_KEY_STORE
    xks_uri_endpoint: str | None = None
    xks_uri_path: str | None = None
    xks_connectivity: str | None = None
    xks_vpc_endpoint_service_name: str | None = None
    xks_vpc_endpoint_service_owner: str | None = None
    xks_access_key_id: str | None = None
    xks_secret_access_key: str | None = None
    # Increments with every ConnectCustomKeyStore, so stale resolutions do nothing.
    connect_attempt: int = 0

    def entry(self) -> dict[str, Any]:
        """``CustomKeyStoresListEntry`` (DescribeCustomKeyStores)."""
        data: dict[str, Any] = {
            "CustomKeyStoreId": self.custom_key_store_id,
            "CustomKeyStoreName": self.name,
            "ConnectionState": self.connection_state,
            "CreationDate": self.creation_date,
            "CustomKeyStoreType": self.store_type,
        }
        if self.connection_state == FAILED and self.connection_error_code:
            data["ConnectionErrorCode"] = self.connection_error_code
        if self.store_type == AWS_CLOUDHSM:
            data["CloudHsmClusterId"] = self.cloud_hsm_cluster_id
            data["TrustAnchorCertificate"] = self.trust_anchor_certificate
        else:
            config: dict[str, Any] = {
                "Connectivity": self.xks_connectivity,
                "AccessKeyId": self.xks_access_key_id,
                "UriEndpoint": self.xks_uri_endpoint,
                "UriPath": self.xks_uri_path,
            }
            if self.xks_connectivity == VPC_ENDPOINT_SERVICE:
                config["VpcEndpointServiceName"] = self.xks_vpc_endpoint_service_name
                config["VpcEndpointServiceOwner"] = self.xks_vpc_endpoint_service_owner or self.account
            data["XksProxyConfiguration"] = config
        return data


def new_custom_key_store_id() -> str:
    """``cks-`` and 17 hex digits, the form of AWS's IDs (``cks-1234567890abcdef0``)."""
    return "cks-" + os.urandom(9).hex()[:17]


class CustomKeyStoreRegistry:
    """``kms_mock.custom_key_stores``: declare CloudHSM clusters and XKS proxies, inspect stores.

    Declarations last for the mock's state (a new activation starts empty).
    """

    # What a saved state restores (checked on load: mock_kms/state_checks.py).
    clusters: dict[str, CloudHsmCluster]
    proxies: dict[str, XksProxy]
    connect_delay: timedelta

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.clusters: dict[str, CloudHsmCluster] = {}
        self.proxies: dict[str, XksProxy] = {}  # by uri_endpoint
        # Mock time a connection attempt takes (CONNECTING -> CONNECTED/FAILED). With 0 the
        # attempt resolves on the next request to the mock.
        self.connect_delay: timedelta = timedelta(0)

    # -- declarations -------------------------------------------------------------------
    def add_cloudhsm_cluster(
        self,
        cluster_id: str,
        *,
        trust_anchor_certificate: str | None = None,
        state: str = "ACTIVE",
        hsm_count: int = 2,
        kmsuser_password: str | None = None,
        backup_of: str | None = None,
        connection_error: str | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> CloudHsmCluster:
        """Declare a CloudHSM cluster (``cluster-`` + 11-16 letters/digits 2-7).

        ``trust_anchor_certificate``: the customerCA.crt PEM CreateCustomKeyStore must
        present (default: a freshly made self-signed certificate, read it back from the
        returned object). ``state``: a CloudHSM cluster state; only ``"ACTIVE"`` clusters
        can back a key store. ``hsm_count``: active HSMs (2 needed to create a store or a
        key, 1 to connect). ``kmsuser_password``: if set, a store whose KeyStorePassword
        differs fails to connect with INVALID_CREDENTIALS. ``backup_of``: the cluster was
        made from a backup of that one (they are "related": UpdateCustomKeyStore may move a
        store between them). ``connection_error``: make connection attempts fail with this
        ConnectionErrorCode (e.g. ``"USER_LOCKED_OUT"``). ``account``/``region``: limit
        the cluster to one account / Region (default: visible everywhere).
        """
        if state not in CLUSTER_STATES:
            raise ValueError(f"unknown CloudHSM cluster state {state!r}; one of {CLUSTER_STATES}")
        if connection_error is not None and connection_error not in CLOUDHSM_CONNECTION_ERRORS:
            raise ValueError(f"unknown connection error {connection_error!r}; one of {CLOUDHSM_CONNECTION_ERRORS}")
        lineage = ""
        if backup_of is not None:
            source = self.clusters.get(backup_of)
            if source is None:
                raise ValueError(f"backup_of: no declared cluster {backup_of!r}")
            lineage = source.lineage
            if trust_anchor_certificate is None:
                trust_anchor_certificate = source.trust_anchor_certificate
        cluster = CloudHsmCluster(
            cluster_id=cluster_id,
            trust_anchor_certificate=trust_anchor_certificate or _self_signed_certificate(f"{cluster_id} customer CA"),
            state=state,
            hsm_count=hsm_count,
            kmsuser_password=kmsuser_password,
            lineage=lineage,
            connection_error=connection_error,
            account=account,
            region=region,
        )
        self.clusters[cluster_id] = cluster
        return cluster

    def add_xks_proxy(
        self,
        uri_endpoint: str,
        *,
        uri_path: str = "/kms/xks/v1",
        behaviour: str = "healthy",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        keys: Iterable[str] | None = None,
        vpc_endpoint_service_name: str | None = None,
        vpc_endpoint_service_owner: str | None = None,
    ) -> XksProxy:
        """Declare an external key store proxy at ``uri_endpoint`` (``https://host``).

        ``behaviour``: one of ``PROXY_BEHAVIOURS`` — ``"healthy"``, ``"unreachable"``,
        ``"wrong_credentials"``, ``"timed_out"``, ``"access_denied"``,
        ``"invalid_response"``, ``"invalid_configuration"``, ``"invalid_tls"``,
        ``"vpc_endpoint_service_invalid"``. ``uri_path``: where the proxy API lives (a store
        using another path fails with XKS_PROXY_INVALID_CONFIGURATION).
        ``access_key_id``/``secret_access_key``: the credential the proxy accepts (default:
        any). ``keys``: the external key IDs that exist (default: any ID is an enabled
        AES-256 key); ``proxy.add_key(id, enabled=False)`` adds unusable ones.
        ``vpc_endpoint_service_name``/``_owner``: the VPC endpoint service in front of the
        proxy, for stores with VPC_ENDPOINT_SERVICE connectivity.
        """
        if behaviour not in PROXY_BEHAVIOURS:
            raise ValueError(f"unknown XKS proxy behaviour {behaviour!r}; one of {sorted(PROXY_BEHAVIOURS)}")
        proxy = XksProxy(
            uri_endpoint=uri_endpoint,
            uri_path=uri_path,
            behaviour=behaviour,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            vpc_endpoint_service_name=vpc_endpoint_service_name,
            vpc_endpoint_service_owner=vpc_endpoint_service_owner,
        )
        if keys is not None:
            proxy.keys = {}
            for key_id in keys:
                proxy.add_key(key_id)
        self.proxies[uri_endpoint] = proxy
        return proxy

    def cloudhsm_cluster(self, cluster_id: str) -> CloudHsmCluster:
        return self.clusters[cluster_id]

    def xks_proxy(self, uri_endpoint: str) -> XksProxy:
        return self.proxies[uri_endpoint]

    def remove_cloudhsm_cluster(self, cluster_id: str) -> None:
        """The cluster is gone: connections fail with CLUSTER_NOT_FOUND."""
        self.clusters.pop(cluster_id, None)

    def remove_xks_proxy(self, uri_endpoint: str) -> None:
        """The proxy is gone: it is unreachable."""
        self.proxies.pop(uri_endpoint, None)

    # -- inspection ---------------------------------------------------------------------
    def stores(self, account: str | None = None, region: str | None = None) -> list[CustomKeyStore]:
        """Every custom key store of the mock (optionally of one account / Region)."""
        found = []
        for here in self._backend.regions():
            if account not in (None, here.account) or region not in (None, here.region):
                continue
            found.extend(stores_of(here).values())
        return found

    # -- what KMS finds when it looks ---------------------------------------------------
    def find_cluster(self, cluster_id: str, account: str, region: str) -> CloudHsmCluster | None:
        cluster = self.clusters.get(cluster_id)
        if cluster is None or not cluster.visible_to(account, region):
            return None
        return cluster

    def probe_proxy(self, store: CustomKeyStore) -> tuple[type[KMSError], str, str] | None:
        """What KMS gets when it contacts the proxy of ``store``: None if all is well, else
        (exception class for a synchronous check, ConnectionErrorCode, message)."""
        uri = (store.xks_uri_endpoint or "") + (store.xks_uri_path or "")
        if store.xks_connectivity == VPC_ENDPOINT_SERVICE and not self._vpc_endpoint_service_exists(store):
            return (
                XksProxyVpcEndpointServiceNotFoundException,
                "XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND",
                f"KMS cannot find the Amazon VPC endpoint service {store.xks_vpc_endpoint_service_name}.",
            )
        proxy = self.proxies.get(store.xks_uri_endpoint or "")
        if proxy is None:
            problem = PROXY_BEHAVIOURS["unreachable"]
        elif proxy.behaviour != "healthy":
            problem = PROXY_BEHAVIOURS[proxy.behaviour]
        elif proxy.uri_path != store.xks_uri_path:
            problem = PROXY_BEHAVIOURS["invalid_configuration"]
        elif (proxy.access_key_id is not None and proxy.access_key_id != store.xks_access_key_id) or (
            proxy.secret_access_key is not None and proxy.secret_access_key != store.xks_secret_access_key
        ):
            problem = PROXY_BEHAVIOURS["wrong_credentials"]
        else:
            return None
        assert problem is not None
        error, code, message = problem
        return error, code, message.format(uri=uri)

    def _vpc_endpoint_service_exists(self, store: CustomKeyStore) -> bool:
        """Some declared proxy sits behind the store's VPC endpoint service (owned by its owner)."""
        owner = store.xks_vpc_endpoint_service_owner or store.account
        return any(
            proxy.vpc_endpoint_service_name == store.xks_vpc_endpoint_service_name
            and proxy.vpc_endpoint_service_owner in (None, owner)
            for proxy in self.proxies.values()
        )

    def connection_outcome(self, store: CustomKeyStore) -> str | None:
        """The ConnectionErrorCode a connection attempt of ``store`` ends with (None: CONNECTED)."""
        if store.store_type == EXTERNAL_KEY_STORE:
            problem = self.probe_proxy(store)
            return problem[1] if problem else None
        cluster = self.find_cluster(store.cloud_hsm_cluster_id or "", store.account, store.region)
        if cluster is None or cluster.state == "DELETED":
            return "CLUSTER_NOT_FOUND"
        if cluster.connection_error:
            return cluster.connection_error
        if cluster.hsm_count < 1:
            return "INSUFFICIENT_CLOUDHSM_HSMS"
        if cluster.kmsuser_password is not None and cluster.kmsuser_password != store.key_store_password:
            return "INVALID_CREDENTIALS"
        return None


def registry_of(backend: Backend) -> CustomKeyStoreRegistry:
    registry = backend.extras.get(REGISTRY_EXTRA)
    if registry is None:
        registry = backend.extras[REGISTRY_EXTRA] = CustomKeyStoreRegistry(backend)
    return registry


def stores_of(here: RegionBackend) -> dict[str, CustomKeyStore]:
    return here.extras.setdefault(STORES_EXTRA, {})


def keys_in_store(here: RegionBackend, store_id: str) -> list[Key]:
    return [key for key in here.keys.values() if key.custom_key_store_id == store_id]


def make_keys_unavailable(here: RegionBackend, store_id: str) -> None:
    """The store is no longer connected: its usable keys become Unavailable."""
    for key in keys_in_store(here, store_id):
        if key.state in (KeyState.ENABLED, KeyState.DISABLED):
            key.extras[_STATE_EXTRA] = key.state
            key.state = KeyState.UNAVAILABLE


def make_keys_available(here: RegionBackend, store_id: str) -> None:
    """The store is connected: Unavailable keys get back the state they had."""
    for key in keys_in_store(here, store_id):
        if key.state == KeyState.UNAVAILABLE:
            key.state = key.extras.pop(_STATE_EXTRA, KeyState.ENABLED)


__all__ = [
    "AWS_CLOUDHSM",
    "CONNECTED",
    "CONNECTING",
    "DISCONNECTED",
    "DISCONNECTING",
    "EXTERNAL_KEY_STORE",
    "FAILED",
    "PROXY_BEHAVIOURS",
    "CloudHsmCluster",
    "CustomKeyStore",
    "CustomKeyStoreRegistry",
    "XksExternalKey",
    "XksProxy",
    "keys_in_store",
    "make_keys_available",
    "make_keys_unavailable",
    "new_custom_key_store_id",
    "registry_of",
    "stores_of",
]
