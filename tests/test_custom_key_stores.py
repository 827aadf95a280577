"""Custom key stores (CloudHSM key stores and external key stores), keys in them, and the
Python API that declares which CloudHSM clusters and XKS proxies exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms

CLUSTER = "cluster-abcdefghijk"
RELATED = "cluster-bcdefghijkl"
OTHER = "cluster-cdefghijklm"
PROXY = "https://xks.example.com"
PATH = "/kms/xks/v1"
VPC_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
CREDENTIAL = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "a" * 43}
OTHER_CREDENTIAL = {"AccessKeyId": "ZYXWVUTSRQPONMLKJIHG", "RawSecretAccessKey": "b" * 43}


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def code_of(call, **kwargs) -> str:
    return error(call, **kwargs)[0]


def describe(kms, store_id) -> dict:
    return kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]


def cloudhsm_store(kms, cluster, name="hsm-store", password="kmsuser-password") -> str:
    return kms.create_custom_key_store(
        CustomKeyStoreName=name,
        CloudHsmClusterId=cluster.cluster_id,
        TrustAnchorCertificate=cluster.trust_anchor_certificate,
        KeyStorePassword=password,
    )["CustomKeyStoreId"]


def xks_store(kms, name="xks-store", endpoint=PROXY, path=PATH, credential=CREDENTIAL, **extra) -> str:
    params = {
        "CustomKeyStoreName": name,
        "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
        "XksProxyUriEndpoint": endpoint,
        "XksProxyUriPath": path,
        "XksProxyAuthenticationCredential": credential,
        "XksProxyConnectivity": "PUBLIC_ENDPOINT",
    }
    params.update(extra)
    return kms.create_custom_key_store(**params)["CustomKeyStoreId"]


def connected(kms, store_id) -> str:
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    return describe(kms, store_id)["ConnectionState"]


@pytest.fixture
def stores(kms_mock):
    return kms_mock.custom_key_stores


# -- CloudHSM key stores ------------------------------------------------------------------


def test_cloudhsm_key_store_lifecycle(kms, kms_mock, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    assert cluster.trust_anchor_certificate.startswith("-----BEGIN CERTIFICATE-----")
    store_id = cloudhsm_store(kms, cluster)
    assert store_id.startswith("cks-") and len(store_id) == 21
    entry = describe(kms, store_id)
    assert entry == {
        "CustomKeyStoreId": store_id,
        "CustomKeyStoreName": "hsm-store",
        "CloudHsmClusterId": CLUSTER,
        "TrustAnchorCertificate": cluster.trust_anchor_certificate,
        "ConnectionState": "DISCONNECTED",
        "CreationDate": entry["CreationDate"],
        "CustomKeyStoreType": "AWS_CLOUDHSM",
    }
    code, message = error(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert code == "CustomKeyStoreInvalidStateException" and "DISCONNECTED" in message

    assert connected(kms, store_id) == "CONNECTED"
    metadata = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id, Description="in the HSM")["KeyMetadata"]
    assert metadata["Origin"] == "AWS_CLOUDHSM"
    assert metadata["CustomKeyStoreId"] == store_id
    assert metadata["CloudHsmClusterId"] == CLUSTER
    assert metadata["KeyState"] == "Enabled"
    assert "CurrentKeyMaterialId" not in metadata
    key_id = metadata["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"in hsm")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"in hsm"
    assert len(kms.generate_random(NumberOfBytes=16, CustomKeyStoreId=store_id)["Plaintext"]) == 16

    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    assert error(kms.encrypt, KeyId=key_id, Plaintext=b"x") == (
        "KMSInvalidStateException",
        f"{metadata['Arn']} is unavailable.",
    )
    assert (
        code_of(kms.generate_random, NumberOfBytes=8, CustomKeyStoreId=store_id)
        == "CustomKeyStoreInvalidStateException"
    )
    code, message = error(kms.disconnect_custom_key_store, CustomKeyStoreId=store_id)
    assert code == "CustomKeyStoreInvalidStateException"

    assert connected(kms, store_id) == "CONNECTED"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"in hsm"

    assert code_of(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert code_of(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == "CustomKeyStoreHasCMKsException"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert code_of(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == "CustomKeyStoreHasCMKsException"
    kms_mock.clock.advance(days=8)
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.describe_custom_key_stores, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreNotFoundException",
        f"Custom key store {store_id} does not exist.",
    )
    assert stores.stores() == []


def test_key_states_survive_disconnection(kms, stores):
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    connected(kms, store_id)
    enabled, disabled, deleting = (
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]["KeyId"] for _ in range(3)
    )
    kms.disable_key(KeyId=disabled)
    kms.schedule_key_deletion(KeyId=deleting, PendingWindowInDays=7)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    states = [kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in (enabled, disabled, deleting)]
    assert states == ["Unavailable", "Unavailable", "PendingDeletion"]
    connected(kms, store_id)
    states = [kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in (enabled, disabled, deleting)]
    assert states == ["Enabled", "Disabled", "PendingDeletion"]


def test_connecting_resolves_after_the_connect_delay(kms, kms_mock, stores):
    stores.connect_delay = timedelta(minutes=5)
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    assert connected(kms, store_id) == "CONNECTING"
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # already connecting: no error
    assert (
        code_of(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
        == "CustomKeyStoreInvalidStateException"
    )
    kms_mock.clock.advance(minutes=4)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTING"
    kms_mock.clock.advance(minutes=1, seconds=1)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)


def test_disconnecting_while_connecting_cancels_the_attempt(kms, kms_mock, stores):
    stores.connect_delay = timedelta(minutes=1)
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms_mock.clock.advance(minutes=2)
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"


def test_cloudhsm_create_errors(kms, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    related = stores.add_cloudhsm_cluster(RELATED, backup_of=CLUSTER)
    inactive = stores.add_cloudhsm_cluster(OTHER, state="UNINITIALIZED")
    base = {"TrustAnchorCertificate": cluster.trust_anchor_certificate, "KeyStorePassword": "kmsuser-password"}
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="s", CloudHsmClusterId="cluster-zzzzzzzzzzz", **base
    ) == ("CloudHsmClusterNotFoundException", "CloudHSM cluster cluster-zzzzzzzzzzz was not found.")
    assert (
        code_of(
            kms.create_custom_key_store,
            CustomKeyStoreName="s",
            CloudHsmClusterId=OTHER,
            TrustAnchorCertificate=inactive.trust_anchor_certificate,
            KeyStorePassword="kmsuser-password",
        )
        == "CloudHsmClusterNotActiveException"
    )
    code, message = error(
        kms.create_custom_key_store,
        CustomKeyStoreName="s",
        CloudHsmClusterId=CLUSTER,
        TrustAnchorCertificate=stores.add_cloudhsm_cluster("cluster-defghijklmn").trust_anchor_certificate,
        KeyStorePassword="kmsuser-password",
    )
    assert code == "IncorrectTrustAnchorException" and CLUSTER in message
    cluster.hsm_count = 1
    assert (
        code_of(kms.create_custom_key_store, CustomKeyStoreName="s", CloudHsmClusterId=CLUSTER, **base)
        == "CloudHsmClusterInvalidConfigurationException"
    )
    cluster.hsm_count = 2
    cloudhsm_store(kms, cluster, name="first")
    assert (
        code_of(kms.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=CLUSTER, **base)
        == "CloudHsmClusterInUseException"
    )
    assert (  # shares a backup history with the cluster in use
        code_of(
            kms.create_custom_key_store,
            CustomKeyStoreName="second",
            CloudHsmClusterId=RELATED,
            TrustAnchorCertificate=related.trust_anchor_certificate,
            KeyStorePassword="kmsuser-password",
        )
        == "CloudHsmClusterInUseException"
    )
    other = stores.add_cloudhsm_cluster("cluster-efghijklmno")
    code, message = error(
        kms.create_custom_key_store,
        CustomKeyStoreName="first",
        CloudHsmClusterId=other.cluster_id,
        TrustAnchorCertificate=other.trust_anchor_certificate,
        KeyStorePassword="kmsuser-password",
    )
    assert code == "CustomKeyStoreNameInUseException" and "first" in message
    code, message = error(kms.create_custom_key_store, CustomKeyStoreName="s", CloudHsmClusterId=other.cluster_id)
    assert code == "ValidationException" and "TrustAnchorCertificate" in message and "KeyStorePassword" in message
    code, message = error(
        kms.create_custom_key_store,
        CustomKeyStoreName="s",
        CloudHsmClusterId=other.cluster_id,
        XksProxyUriPath=PATH,
        **base,
    )
    assert code == "ValidationException" and "XksProxyUriPath" in message


@pytest.mark.parametrize(
    "declare, code",
    [
        ({"kmsuser_password": "the-real-password"}, "INVALID_CREDENTIALS"),
        ({"hsm_count": 0}, "INSUFFICIENT_CLOUDHSM_HSMS"),
        ({"connection_error": "USER_LOCKED_OUT"}, "USER_LOCKED_OUT"),
        ({"connection_error": "SUBNET_NOT_FOUND"}, "SUBNET_NOT_FOUND"),
    ],
)
def test_cloudhsm_connection_failures(kms, stores, declare, code):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    store_id = cloudhsm_store(kms, cluster)
    for name, value in declare.items():
        setattr(cluster, name, value)
    assert connected(kms, store_id) == "FAILED"
    assert describe(kms, store_id)["ConnectionErrorCode"] == code
    assert code_of(kms.connect_custom_key_store, CustomKeyStoreId=store_id) == "CustomKeyStoreInvalidStateException"
    assert (
        code_of(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
        == "CustomKeyStoreInvalidStateException"
    )
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    entry = describe(kms, store_id)
    assert entry["ConnectionState"] == "DISCONNECTED" and "ConnectionErrorCode" not in entry


def test_fix_a_wrong_password_and_reconnect(kms, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER, kmsuser_password="right-password")
    store_id = cloudhsm_store(kms, cluster, password="wrong-password")
    assert connected(kms, store_id) == "FAILED"
    code, message = error(kms.update_custom_key_store, CustomKeyStoreId=store_id, KeyStorePassword="right-password")
    assert code == "CustomKeyStoreInvalidStateException" and "FAILED" in message
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword="right-password")
    assert connected(kms, store_id) == "CONNECTED"


def test_cluster_gone_or_inactive_when_connecting(kms, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    store_id = cloudhsm_store(kms, cluster)
    cluster.state = "DEGRADED"
    assert code_of(kms.connect_custom_key_store, CustomKeyStoreId=store_id) == "CloudHsmClusterNotActiveException"
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"
    stores.remove_cloudhsm_cluster(CLUSTER)
    assert connected(kms, store_id) == "FAILED"
    assert describe(kms, store_id)["ConnectionErrorCode"] == "CLUSTER_NOT_FOUND"


def test_update_cloudhsm_key_store(kms, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    stores.add_cloudhsm_cluster(RELATED, backup_of=CLUSTER)
    stores.add_cloudhsm_cluster(OTHER)
    store_id = cloudhsm_store(kms, cluster)
    other_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster("cluster-defghijklmn"), name="other")
    connected(kms, store_id)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed")  # fine while connected
    assert describe(kms, store_id)["CustomKeyStoreName"] == "renamed"
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId=store_id, NewCustomKeyStoreName="other")
        == "CustomKeyStoreNameInUseException"
    )
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId=store_id, CloudHsmClusterId=RELATED)
        == "CustomKeyStoreInvalidStateException"
    )
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId=store_id, CloudHsmClusterId=OTHER)
        == "CloudHsmClusterNotRelatedException"
    )
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId=store_id, CloudHsmClusterId="cluster-zzzzzzzzzzz")
        == "CloudHsmClusterNotFoundException"
    )
    kms.update_custom_key_store(CustomKeyStoreId=store_id, CloudHsmClusterId=RELATED)
    assert describe(kms, store_id)["CloudHsmClusterId"] == RELATED
    code, message = error(kms.update_custom_key_store, CustomKeyStoreId=store_id, XksProxyUriPath=PATH)
    assert code == "ValidationException" and "XksProxyUriPath" in message
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId="cks-00000000000000000")
        == "CustomKeyStoreNotFoundException"
    )
    assert other_id != store_id


def test_create_key_checks_the_cluster(kms, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER)
    store_id = cloudhsm_store(kms, cluster)
    connected(kms, store_id)
    cluster.hsm_count = 1
    assert (
        code_of(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
        == "CloudHsmClusterInvalidConfigurationException"
    )


# -- CreateKey / GenerateRandom parameter rules -------------------------------------------


def test_create_key_custom_key_store_parameter_rules(kms, stores):
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    connected(kms, store_id)
    assert error(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-00000000000000000") == (
        "CustomKeyStoreNotFoundException",
        "Custom key store cks-00000000000000000 does not exist.",
    )
    code, message = error(kms.create_key, Origin="AWS_CLOUDHSM")
    assert code == "ValidationException" and "CustomKeyStoreId" in message
    code, message = error(kms.create_key, CustomKeyStoreId=store_id)  # Origin AWS_KMS
    assert code == "ValidationException" and "Origin" in message
    code, message = error(kms.create_key, XksKeyId="key-1")
    assert code == "ValidationException" and "XksKeyId" in message
    code, message = error(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="k")
    assert code == "ValidationException" and "AWS_CLOUDHSM" in message
    code, _ = error(
        kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"
    )
    assert code == "UnsupportedOperationException"
    code, _ = error(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id, MultiRegion=True)
    assert code == "UnsupportedOperationException"


def test_generate_random_in_a_custom_key_store(kms, stores):
    assert code_of(kms.generate_random, NumberOfBytes=8, CustomKeyStoreId="cks-00000000000000000") == (
        "CustomKeyStoreNotFoundException"
    )
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    assert (
        code_of(kms.generate_random, NumberOfBytes=8, CustomKeyStoreId=store_id)
        == "CustomKeyStoreInvalidStateException"
    )
    connected(kms, store_id)
    assert len(kms.generate_random(NumberOfBytes=32, CustomKeyStoreId=store_id)["Plaintext"]) == 32
    stores.add_xks_proxy(PROXY)
    xks_id = xks_store(kms)
    connected(kms, xks_id)
    assert code_of(kms.generate_random, NumberOfBytes=8, CustomKeyStoreId=xks_id) == "UnsupportedOperationException"


def test_imports_are_not_for_custom_key_store_keys(kms, stores):
    store_id = cloudhsm_store(kms, stores.add_cloudhsm_cluster(CLUSTER))
    connected(kms, store_id)
    metadata = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]
    assert error(
        kms.get_parameters_for_import,
        KeyId=metadata["KeyId"],
        WrappingAlgorithm="RSAES_OAEP_SHA_256",
        WrappingKeySpec="RSA_2048",
    ) == (
        "UnsupportedOperationException",
        f"{metadata['Arn']} origin is AWS_CLOUDHSM which is not valid for this operation.",
    )


# -- external key stores --------------------------------------------------------------------


def test_external_key_store_lifecycle(kms, stores):
    stores.add_xks_proxy(PROXY, access_key_id=CREDENTIAL["AccessKeyId"], keys=["ext-key-1", "ext-key-2"])
    stores.xks_proxy(PROXY).add_key("disabled-key", enabled=False)
    store_id = xks_store(kms)
    entry = describe(kms, store_id)
    assert entry == {
        "CustomKeyStoreId": store_id,
        "CustomKeyStoreName": "xks-store",
        "ConnectionState": "DISCONNECTED",
        "CreationDate": entry["CreationDate"],
        "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
        "XksProxyConfiguration": {
            "Connectivity": "PUBLIC_ENDPOINT",
            "AccessKeyId": CREDENTIAL["AccessKeyId"],
            "UriEndpoint": PROXY,
            "UriPath": PATH,
        },
    }
    assert connected(kms, store_id) == "CONNECTED"
    metadata = kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="ext-key-1")[
        "KeyMetadata"
    ]
    assert metadata["Origin"] == "EXTERNAL_KEY_STORE"
    assert metadata["CustomKeyStoreId"] == store_id
    assert metadata["XksKeyConfiguration"] == {"Id": "ext-key-1"}
    assert "CloudHsmClusterId" not in metadata
    blob = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"outside aws")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"outside aws"
    assert kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]["XksKeyConfiguration"] == {"Id": "ext-key-1"}

    code, message = error(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="ext-key-1")
    assert code == "XksKeyAlreadyInUseException" and metadata["Arn"] in message
    assert (
        code_of(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="no-such-key")
        == "XksKeyNotFoundException"
    )
    assert (
        code_of(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="disabled-key")
        == "XksKeyInvalidConfigurationException"
    )
    code, message = error(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id)
    assert code == "ValidationException" and "XksKeyId" in message
    code, message = error(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert code == "ValidationException"

    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]["KeyState"] == "Unavailable"
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"


@pytest.mark.parametrize(
    "behaviour, exception",
    [
        ("unreachable", "XksProxyUriUnreachableException"),
        ("timed_out", "XksProxyUriUnreachableException"),
        ("wrong_credentials", "XksProxyIncorrectAuthenticationCredentialException"),
        ("access_denied", "XksProxyIncorrectAuthenticationCredentialException"),
        ("invalid_response", "XksProxyInvalidResponseException"),
        ("invalid_configuration", "XksProxyInvalidConfigurationException"),
        ("invalid_tls", "XksProxyInvalidConfigurationException"),
    ],
)
def test_create_external_key_store_contacts_the_proxy(kms, stores, behaviour, exception):
    stores.add_xks_proxy(PROXY, behaviour=behaviour)
    code, message = error(xks_store, kms=kms)
    assert code == exception and PROXY in message
    assert kms.describe_custom_key_stores()["CustomKeyStores"] == []


def test_create_external_key_store_proxy_mismatches(kms, stores):
    assert code_of(xks_store, kms=kms) == "XksProxyUriUnreachableException"  # nothing declared there
    stores.add_xks_proxy(PROXY, uri_path="/prefix/kms/xks/v1", secret_access_key=CREDENTIAL["RawSecretAccessKey"])
    assert code_of(xks_store, kms=kms) == "XksProxyInvalidConfigurationException"  # wrong path
    assert (
        code_of(xks_store, kms=kms, path="/prefix/kms/xks/v1", credential=OTHER_CREDENTIAL)
        == "XksProxyIncorrectAuthenticationCredentialException"
    )
    xks_store(kms, path="/prefix/kms/xks/v1")


@pytest.mark.parametrize(
    "behaviour, connection_error",
    [
        ("unreachable", "XKS_PROXY_NOT_REACHABLE"),
        ("wrong_credentials", "INVALID_CREDENTIALS"),
        ("timed_out", "XKS_PROXY_TIMED_OUT"),
        ("invalid_response", "XKS_PROXY_INVALID_RESPONSE"),
        ("access_denied", "XKS_PROXY_ACCESS_DENIED"),
        ("invalid_tls", "XKS_PROXY_INVALID_TLS_CONFIGURATION"),
    ],
)
def test_external_key_store_connection_failures(kms, stores, behaviour, connection_error):
    proxy = stores.add_xks_proxy(PROXY)
    store_id = xks_store(kms)
    proxy.behaviour = behaviour
    assert connected(kms, store_id) == "FAILED"
    assert describe(kms, store_id)["ConnectionErrorCode"] == connection_error
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    proxy.behaviour = "healthy"
    assert connected(kms, store_id) == "CONNECTED"


def test_proxy_removed_before_connecting(kms, stores):
    stores.add_xks_proxy(PROXY)
    store_id = xks_store(kms)
    stores.remove_xks_proxy(PROXY)
    assert connected(kms, store_id) == "FAILED"
    assert describe(kms, store_id)["ConnectionErrorCode"] == "XKS_PROXY_NOT_REACHABLE"


def test_vpc_endpoint_service_connectivity(kms, stores):
    vpc = {"XksProxyConnectivity": "VPC_ENDPOINT_SERVICE", "XksProxyVpcEndpointServiceName": VPC_SERVICE}
    code, message = error(xks_store, kms=kms, XksProxyConnectivity="VPC_ENDPOINT_SERVICE")
    assert code == "ValidationException" and "XksProxyVpcEndpointServiceName" in message
    assert code_of(xks_store, kms=kms, **vpc) == "XksProxyVpcEndpointServiceNotFoundException"
    proxy = stores.add_xks_proxy(PROXY, vpc_endpoint_service_name=VPC_SERVICE, behaviour="vpc_endpoint_service_invalid")
    store_id = xks_store(kms, **vpc)  # the proxy is reached only when connecting
    entry = describe(kms, store_id)
    assert entry["XksProxyConfiguration"]["Connectivity"] == "VPC_ENDPOINT_SERVICE"
    assert entry["XksProxyConfiguration"]["VpcEndpointServiceName"] == VPC_SERVICE
    assert entry["XksProxyConfiguration"]["VpcEndpointServiceOwner"] == "123456789012"
    assert connected(kms, store_id) == "FAILED"
    assert describe(kms, store_id)["ConnectionErrorCode"] == "XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    proxy.behaviour = "healthy"
    assert connected(kms, store_id) == "CONNECTED"
    code, _ = error(xks_store, kms=kms, name="second", path="/two/kms/xks/v1", **vpc)
    assert code == "XksProxyUriEndpointInUseException"  # each VPC store needs its own private DNS name
    stores.add_xks_proxy("https://other.example.com", vpc_endpoint_service_name=VPC_SERVICE)
    code, _ = error(xks_store, kms=kms, name="third", endpoint="https://other.example.com", **vpc)
    assert code == "XksProxyVpcEndpointServiceInUseException"


def test_external_key_store_uniqueness(kms, stores):
    stores.add_xks_proxy(PROXY, uri_path="/a/kms/xks/v1")
    stores.add_xks_proxy("https://b.example.com")
    xks_store(kms, path="/a/kms/xks/v1")
    assert code_of(xks_store, kms=kms, name="again", path="/a/kms/xks/v1") == "XksProxyUriInUseException"
    assert code_of(xks_store, kms=kms, name="xks-store", endpoint="https://b.example.com") == (
        "CustomKeyStoreNameInUseException"
    )


def test_update_external_key_store(kms, stores):
    proxy = stores.add_xks_proxy(PROXY, access_key_id=CREDENTIAL["AccessKeyId"])
    store_id = xks_store(kms)
    connected(kms, store_id)
    # Credential, path and name may change while connected (KMS checks them with the proxy).
    code, _ = error(
        kms.update_custom_key_store, CustomKeyStoreId=store_id, XksProxyAuthenticationCredential=OTHER_CREDENTIAL
    )
    assert code == "XksProxyIncorrectAuthenticationCredentialException"
    proxy.access_key_id = OTHER_CREDENTIAL["AccessKeyId"]
    kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyAuthenticationCredential=OTHER_CREDENTIAL)
    assert describe(kms, store_id)["XksProxyConfiguration"]["AccessKeyId"] == OTHER_CREDENTIAL["AccessKeyId"]
    code, message = error(
        kms.update_custom_key_store, CustomKeyStoreId=store_id, XksProxyUriEndpoint="https://c.example.com"
    )
    assert code == "CustomKeyStoreInvalidStateException" and "XksProxyUriEndpoint" in message
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert (
        code_of(kms.update_custom_key_store, CustomKeyStoreId=store_id, XksProxyUriEndpoint="https://c.example.com")
        == "XksProxyUriUnreachableException"
    )
    stores.add_xks_proxy("https://c.example.com")
    kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyUriEndpoint="https://c.example.com")
    assert describe(kms, store_id)["XksProxyConfiguration"]["UriEndpoint"] == "https://c.example.com"
    code, message = error(kms.update_custom_key_store, CustomKeyStoreId=store_id, KeyStorePassword="password1")
    assert code == "ValidationException" and "KeyStorePassword" in message


# -- DescribeCustomKeyStores, quota, Regions ------------------------------------------------


def test_describe_custom_key_stores_filters_and_pages(kms, kms_mock, stores):
    stores.add_xks_proxy(PROXY, uri_path="/a/kms/xks/v1")
    stores.add_xks_proxy("https://b.example.com")
    first = xks_store(kms, name="first", path="/a/kms/xks/v1")
    second = xks_store(kms, name="second", endpoint="https://b.example.com")
    everything = kms.describe_custom_key_stores()
    assert [s["CustomKeyStoreId"] for s in everything["CustomKeyStores"]] == [first, second]
    assert everything["Truncated"] is False
    page = kms.describe_custom_key_stores(Limit=1)
    assert page["Truncated"] is True and [s["CustomKeyStoreId"] for s in page["CustomKeyStores"]] == [first]
    rest = kms.describe_custom_key_stores(Limit=1, Marker=page["NextMarker"])
    assert [s["CustomKeyStoreId"] for s in rest["CustomKeyStores"]] == [second]
    paginated = kms.get_paginator("describe_custom_key_stores").paginate(PaginationConfig={"PageSize": 1})
    assert [s["CustomKeyStoreId"] for p in paginated for s in p["CustomKeyStores"]] == [first, second]
    by_name = kms.describe_custom_key_stores(CustomKeyStoreName="second")["CustomKeyStores"]
    assert [s["CustomKeyStoreId"] for s in by_name] == [second]
    assert code_of(kms.describe_custom_key_stores, CustomKeyStoreName="nope") == "CustomKeyStoreNotFoundException"
    assert (
        code_of(kms.describe_custom_key_stores, CustomKeyStoreName="second", CustomKeyStoreId=second)
        == "ValidationException"
    )
    other_region = kms_mock.client("kms", region_name="ap-southeast-2")
    assert other_region.describe_custom_key_stores()["CustomKeyStores"] == []
    assert code_of(other_region.connect_custom_key_store, CustomKeyStoreId=first) == "CustomKeyStoreNotFoundException"
    assert {store.custom_key_store_id for store in stores.stores()} == {first, second}


def test_custom_key_store_quota():
    with mock_kms(quotas={"custom_key_stores": 2}) as kms_mock:
        kms = kms_mock.client("kms")
        for n in range(2):
            kms_mock.custom_key_stores.add_xks_proxy(f"https://xks{n}.example.com")
            xks_store(kms, name=f"store-{n}", endpoint=f"https://xks{n}.example.com")
        kms_mock.custom_key_stores.add_xks_proxy("https://xks9.example.com")
        code, message = error(xks_store, kms=kms, name="one-too-many", endpoint="https://xks9.example.com")
        assert code == "LimitExceededException" and "2 custom key stores" in message


def test_declarations_are_per_mock_state(stores):
    stores.add_cloudhsm_cluster(CLUSTER)
    with mock_kms() as fresh:
        assert fresh.custom_key_stores.clusters == {}
    assert CLUSTER in stores.clusters
    with pytest.raises(ValueError):
        stores.add_xks_proxy(PROXY, behaviour="flaky")
    with pytest.raises(ValueError):
        stores.add_cloudhsm_cluster(OTHER, state="SLEEPY")


def test_clusters_limited_to_an_account_and_region(kms, kms_mock, stores):
    cluster = stores.add_cloudhsm_cluster(CLUSTER, region="eu-central-1")
    code = code_of(
        kms.create_custom_key_store,
        CustomKeyStoreName="s",
        CloudHsmClusterId=CLUSTER,
        TrustAnchorCertificate=cluster.trust_anchor_certificate,
        KeyStorePassword="kmsuser-password",
    )
    assert code == "CloudHsmClusterNotFoundException"
    cloudhsm_store(kms_mock.client("kms", region_name="eu-central-1"), cluster)


def test_custom_key_stores_survive_save_and_load(kms_mock, tmp_path):
    from mock_kms.state import load_state, save_state

    kms = kms_mock.client("kms")
    cluster = kms_mock.custom_key_stores.add_cloudhsm_cluster(CLUSTER, kmsuser_password="kmsuser-password")
    store_id = cloudhsm_store(kms, cluster)
    connected(kms, store_id)
    key_id = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hsm")["CiphertextBlob"]
    kms_mock.custom_key_stores.connect_delay = timedelta(minutes=10)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # saved while CONNECTING
    save_state(kms_mock, tmp_path / "state.json")
    with mock_kms() as loaded:
        load_state(loaded, tmp_path / "state.json")
        client = loaded.client("kms")
        assert loaded.custom_key_stores.cloudhsm_cluster(CLUSTER).kmsuser_password == "kmsuser-password"
        assert describe(client, store_id)["ConnectionState"] == "CONNECTED"
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hsm"
        assert len(client.generate_random(NumberOfBytes=4, CustomKeyStoreId=store_id)["Plaintext"]) == 4
