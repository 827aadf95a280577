"""What a handler gets: the decoded request, who is calling, and the state to act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_kms.core.backend import Backend, RegionBackend
from mock_kms.core.errors import DryRunOperationException
from mock_kms.core.keys import Key
from mock_kms.core.states import check_state
from mock_kms.iam.authorize import authorize

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock


@dataclass(frozen=True)
class Caller:
    """The principal a request is made as (from the SigV4 access key)."""

    arn: str
    account: str
    access_key_id: str = ""
    principal: Any = None  # an iam Principal when one is registered for the access key


@dataclass
class RequestContext:
    backend: Backend
    here: RegionBackend  # the caller's account in the request's region
    operation: str
    params: dict[str, Any]
    caller: Caller
    mock: KmsMock | None = None
    # The key the request acted on (first resolved), for the call journal.
    key: Key | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return self.here.region

    @property
    def account(self) -> str:
        return self.here.account

    def now(self) -> datetime:
        return self.backend.clock.now()

    def find_key(self, key_id: str, *, allow_alias: bool = True) -> Key:
        key = self.backend.find_key(self.here, key_id, allow_alias=allow_alias)
        if self.key is None:
            self.key = key
        return key

    def use_key(
        self,
        param: str = "KeyId",
        *,
        allow_alias: bool = True,
        action: str | None = None,
        operation: str | None = None,
    ) -> Key:
        """Resolve the key named by ``param``, authorize the action on it, check its state."""
        # find_key() and authorize() inlined: this runs on nearly every request.
        key = self.backend.find_key(self.here, self.params[param], allow_alias=allow_alias)
        if self.key is None:
            self.key = key
        authorize(self, action or "kms:" + self.operation, key)
        check_state(key, operation or self.operation)
        return key

    def authorize(self, action: str, key: Key | None = None, resource: str | None = None) -> None:
        authorize(self, action, key, resource)

    def finish_dry_run(self) -> None:
        """Called once validation, authorization and state checks have passed."""
        if self.params.get("DryRun"):
            raise DryRunOperationException("The request would have succeeded, but the DryRun option is set.")
