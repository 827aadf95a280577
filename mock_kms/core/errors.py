"""Typed KMS errors.

Every error the mock answers with is a :class:`KMSError` carrying the AWS error code
and message. The wire layer turns it into ``{"__type": code, "message": message}``
with HTTP 400, which botocore parses into the matching ``client.exceptions.*`` class.
"""

from __future__ import annotations


class KMSError(Exception):
    """An error answered to the caller. ``code`` is AWS's ``__type``."""

    code = "KMSInternalException"
    status = 400

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{self.code}({self.message!r})"


def _define(name: str) -> type[KMSError]:
    return type(name, (KMSError,), {"code": name, "__doc__": f"AWS KMS ``{name}``."})


# Modeled exceptions (botocore's KMS model) plus the unmodeled ones AWS sends.
AccessDeniedException = _define("AccessDeniedException")
AlreadyExistsException = _define("AlreadyExistsException")
CloudHsmClusterInUseException = _define("CloudHsmClusterInUseException")
CloudHsmClusterInvalidConfigurationException = _define("CloudHsmClusterInvalidConfigurationException")
CloudHsmClusterNotActiveException = _define("CloudHsmClusterNotActiveException")
CloudHsmClusterNotFoundException = _define("CloudHsmClusterNotFoundException")
CloudHsmClusterNotRelatedException = _define("CloudHsmClusterNotRelatedException")
ConflictException = _define("ConflictException")
CustomKeyStoreHasCMKsException = _define("CustomKeyStoreHasCMKsException")
CustomKeyStoreInvalidStateException = _define("CustomKeyStoreInvalidStateException")
CustomKeyStoreNameInUseException = _define("CustomKeyStoreNameInUseException")
CustomKeyStoreNotFoundException = _define("CustomKeyStoreNotFoundException")
DependencyTimeoutException = _define("DependencyTimeoutException")
DisabledException = _define("DisabledException")
DryRunOperationException = _define("DryRunOperationException")
ExpiredImportTokenException = _define("ExpiredImportTokenException")
IncorrectKeyException = _define("IncorrectKeyException")
IncorrectKeyMaterialException = _define("IncorrectKeyMaterialException")
IncorrectTrustAnchorException = _define("IncorrectTrustAnchorException")
InvalidAliasNameException = _define("InvalidAliasNameException")
InvalidArnException = _define("InvalidArnException")
InvalidCiphertextException = _define("InvalidCiphertextException")
InvalidGrantIdException = _define("InvalidGrantIdException")
InvalidGrantTokenException = _define("InvalidGrantTokenException")
InvalidImportTokenException = _define("InvalidImportTokenException")
InvalidKeyUsageException = _define("InvalidKeyUsageException")
InvalidMarkerException = _define("InvalidMarkerException")
KeyUnavailableException = _define("KeyUnavailableException")
KMSInternalException = _define("KMSInternalException")
KMSInvalidMacException = _define("KMSInvalidMacException")
KMSInvalidSignatureException = _define("KMSInvalidSignatureException")
KMSInvalidStateException = _define("KMSInvalidStateException")
LimitExceededException = _define("LimitExceededException")
MalformedPolicyDocumentException = _define("MalformedPolicyDocumentException")
NotFoundException = _define("NotFoundException")
SerializationException = _define("SerializationException")
TagException = _define("TagException")
ThrottlingException = _define("ThrottlingException")
UnknownOperationException = _define("UnknownOperationException")
UnrecognizedClientException = _define("UnrecognizedClientException")
UnsupportedOperationException = _define("UnsupportedOperationException")
ValidationException = _define("ValidationException")
XksKeyAlreadyInUseException = _define("XksKeyAlreadyInUseException")
XksKeyInvalidConfigurationException = _define("XksKeyInvalidConfigurationException")
XksKeyNotFoundException = _define("XksKeyNotFoundException")
XksProxyIncorrectAuthenticationCredentialException = _define(
    "XksProxyIncorrectAuthenticationCredentialException"
)
XksProxyInvalidConfigurationException = _define("XksProxyInvalidConfigurationException")
XksProxyInvalidResponseException = _define("XksProxyInvalidResponseException")
XksProxyUriEndpointInUseException = _define("XksProxyUriEndpointInUseException")
XksProxyUriInUseException = _define("XksProxyUriInUseException")
XksProxyUriUnreachableException = _define("XksProxyUriUnreachableException")
XksProxyVpcEndpointServiceInUseException = _define("XksProxyVpcEndpointServiceInUseException")
XksProxyVpcEndpointServiceInvalidConfigurationException = _define(
    "XksProxyVpcEndpointServiceInvalidConfigurationException"
)
XksProxyVpcEndpointServiceNotFoundException = _define("XksProxyVpcEndpointServiceNotFoundException")
# Answered for operations the mock has not implemented: never a fake success.
NotImplementedByMockException = _define("NotImplementedByMockException")
