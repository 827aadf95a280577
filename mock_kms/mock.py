"""``mock_kms``: decorator, context manager and start/stop, in one object (like ``responses``)."""

from __future__ import annotations

import functools
import inspect
import os
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, overload

from mock_kms import interception
from mock_kms.api.context import Caller
from mock_kms.core.backend import Backend
from mock_kms.core.clock import Clock
from mock_kms.core.errors import UnrecognizedClientException
from mock_kms.journal import CallRecord, Journal

if TYPE_CHECKING:
    from mock_kms.core.custom_key_stores import CustomKeyStoreRegistry
    from mock_kms.faults import Fault
    from mock_kms.iam.principals import IamRegistry, Principal, Role

DEFAULT_ACCOUNT = "123456789012"
# Throwaway credentials the mock supplies while active when none are configured.
MOCK_ACCESS_KEY_ID = "AKIAMOCKKMSTESTING00"
MOCK_SECRET_ACCESS_KEY = "mock-kms-secret-access-key-testing-only"

# AWS's default resource quotas (kms_spec.md §8.1); each can be changed per mock.
DEFAULT_QUOTAS: dict[str, int] = {
    "keys_per_region": 100_000,
    "aliases_per_key": 50,
    "grants_per_key": 50_000,
    "tags_per_key": 50,
    "on_demand_rotations_per_key": 25,
    "custom_key_stores": 10,
    "key_policy_size": 32_768,  # bytes
}

F = TypeVar("F", bound=Callable[..., Any])


def default_region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"


class KmsMock:
    """One mock of AWS KMS. Active between ``start()`` and ``stop()``.

    While active, every KMS request botocore (or ``requests``) makes in this process is
    answered from the in-memory backend; nothing reaches the network.

    Options (keyword arguments of ``mock_kms(...)`` and ``KmsMock(...)``):

    * ``region`` — the default region (``kms_mock.client()``, the credentials' region); default
      ``AWS_DEFAULT_REGION`` / ``AWS_REGION``, else ``us-east-1``.
    * ``account`` — the account of callers without a registered principal (default ``123456789012``).
    * ``quotas`` — resource quotas to change, by name (``DEFAULT_QUOTAS``: ``keys_per_region``, …).
    * ``strict_credentials`` — reject access keys no principal was registered for
      (``UnrecognizedClientException``) instead of calling as the account's root user.
    * ``intercept_requests`` — also answer KMS requests made with ``requests`` (default True).
    * ``state`` — a state file (``save()``) to load on every start.
    * ``seed`` — a seed file (JSON or TOML) to load on every start.
    * ``rate_limits`` — request-rate quotas: True for AWS's, or ``{bucket: requests per second
      or None}`` overrides (``mock_kms/rate_limits.py``); default off.
    * ``multi_region_delay`` — mock time (a ``timedelta`` or seconds) a new replica stays
      ``Creating`` and an UpdatePrimaryRegion's keys stay ``Updating``; default 0: until the next
      request. Also settable later as ``kms_mock.multi_region_delay``.
    * ``predefined_aws_aliases`` — ListAliases lists AWS's predefined ``alias/aws/*`` aliases, without
      ``TargetKeyId`` until the AWS managed key is first used, as AWS does (default True).
    """

    clock: Clock
    backend: Backend
    journal: Journal
    # The mock's IAM: users, roles, groups, identity policies (mock_kms/iam/principals.py).
    iam: IamRegistry
    # Declare the CloudHSM clusters and XKS proxies behind custom key stores
    # (``add_cloudhsm_cluster``, ``add_xks_proxy``): core/custom_key_stores.py. Set on reset.
    custom_key_stores: CustomKeyStoreRegistry

    def __init__(
        self,
        *,
        region: str | None = None,
        account: str = DEFAULT_ACCOUNT,
        quotas: dict[str, int] | None = None,
        strict_credentials: bool = False,
        intercept_requests: bool = True,
        state: str | os.PathLike[str] | None = None,
        seed: str | os.PathLike[str] | None = None,
        rate_limits: bool | dict[str, float | None] = False,
        multi_region_delay: timedelta | float = 0,
        predefined_aws_aliases: bool = True,
        durable: bool = False,
        verify_signatures: bool = False,
    ) -> None:
        unknown = set(quotas or ()) - set(DEFAULT_QUOTAS)
        if unknown:
            raise ValueError(f"unknown quota names: {sorted(unknown)}; known: {sorted(DEFAULT_QUOTAS)}")
        from mock_kms.rate_limits import configure

        # Request-rate quotas (mock_kms/rate_limits.py): None when off, else the overrides.
        self.rate_limits = configure(rate_limits)
        self._rate_limits_option = rate_limits
        self._region = region
        self.account = account
        self.quotas = {**DEFAULT_QUOTAS, **(quotas or {})}
        self.strict_credentials = strict_credentials
        self.intercept_requests = intercept_requests
        self.state_path = state
        self.seed_path = seed
        self.multi_region_delay = (
            multi_region_delay if isinstance(multi_region_delay, timedelta) else timedelta(seconds=multi_region_delay)
        )
        # ListAliases lists AWS's predefined alias/aws/* aliases (as AWS and moto do); False: only
        # the aliases that name a key (core/managed_keys.py).
        self.predefined_aws_aliases = predefined_aws_aliases
        if durable and state is None:
            raise ValueError("durable=True needs state=<path of the state file>")
        # durable: state is on disk before each success answer (mock_kms/persistence.py).
        self.durable = durable
        self.durable_state: Any = None
        # verify_signatures: SigV4 checked against the principal's secret (mock_kms/wire/sigv4.py).
        self.verify_signatures = verify_signatures
        self._active = False
        self._lock = threading.Lock()
        self._saved_env: dict[str, str | None] = {}
        self._supplied_env: dict[str, str] = {}
        self._requests_mock: Any = None
        # Root callers made by identify(), per (account, access key): callers are immutable.
        self._root_callers: dict[tuple[str, str], Caller] = {}
        self._reset_state()

    # -- state ------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.clock = Clock()
        self.backend = Backend(self.clock)
        self.journal = Journal(self.clock)
        # Time-based transitions (core/lifecycle.py) are journaled as CloudTrail service events.
        self.backend.extras["record_event"] = self._record_event
        from mock_kms.iam.principals import IamRegistry

        self.iam = IamRegistry(self)
        for hook in _ON_RESET:
            hook(self)

    def _record_event(self, operation: str, key: Any, when: Any, details: dict[str, Any]) -> None:
        self.journal.add_event(operation, key.region, key.account, key, when, details)

    def run_due_events(self) -> None:
        """Apply the time-based transitions that are due now (deletions, rotations).

        Every request does this first; call it to inspect ``backend`` or ``calls`` after
        moving the clock without making a request.
        """
        with self.backend.lock:
            self.backend.run_due_events()

    @property
    def region(self) -> str:
        return self._region or default_region()

    @property
    def calls(self) -> Journal:
        """Every request answered, in order (see :class:`mock_kms.journal.CallRecord`)."""
        return self.journal

    def quota(self, name: str) -> int:
        return self.quotas[name]

    def identify(self, access_key_id: str) -> Caller:
        """The caller a request signed with ``access_key_id`` is made as."""
        principal = self.iam.principal_for_access_key(access_key_id)
        if principal is not None:
            return Caller(principal.arn, principal.account, access_key_id, principal)
        if self.strict_credentials and access_key_id != MOCK_ACCESS_KEY_ID:
            raise UnrecognizedClientException("The security token included in the request is invalid.")
        # No principal registered: the administrator of the default account. Callers are
        # immutable, so one per (account, access key) is made and reused (per-call path).
        cache = self._root_callers
        caller = cache.get((self.account, access_key_id))
        if caller is None:
            if len(cache) >= 256:
                cache.clear()
            caller = cache[(self.account, access_key_id)] = Caller(
                f"arn:aws:iam::{self.account}:root", self.account, access_key_id
            )
        return caller

    def before_request(self, operation: str, record: CallRecord) -> None:
        """Runs inside the request lock before the handler (fault injection hooks in here)."""
        for hook in _BEFORE_REQUEST:
            hook(self, operation, record)

    # -- activation -------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> KmsMock:
        with self._lock:
            if self._active:
                return self
            self._reset_state()
            self.durable_state = None
            if self.state_path is not None and self.durable:
                from mock_kms.persistence import make_durable

                make_durable(self, self.state_path)
            elif self.state_path is not None:
                from mock_kms.state import load_state

                load_state(self, self.state_path)
            if self.seed_path is not None:
                from mock_kms.seed import load_seed

                load_seed(self, self.seed_path)
                if self.durable_state is not None:
                    self.durable_state.commit()  # the seed's keys are on disk from the start
            self._activate()
        return self

    def _resume(self) -> KmsMock:
        """Activate again with the state it had when it stopped (the switch for moto, moto_compat.py)."""
        with self._lock:
            if not self._active:
                self._activate()
        return self

    def _activate(self) -> None:
        self._supply_environment()
        interception.activate(self)
        if self.intercept_requests:
            # Now if `requests` is loaded, else when it is imported (activation stays cheap).
            self._requests_mock = interception.intercept_requests(self, self._requests_started)
        self._active = True

    def stop(self) -> None:
        """Deactivate. Safe to call twice; state stays readable until the next start()."""
        with self._lock:
            if not self._active:
                return
            self._active = False
            interception.cancel_requests_interception(self)
            if self._requests_mock is not None:
                interception.stop_requests_mock(self._requests_mock)
                self._requests_mock = None
            interception.deactivate(self)
            self._restore_environment()

    def _requests_started(self, requests_mock: Any) -> None:
        """``requests`` was imported after this mock started: its interception is running now."""
        with self._lock:
            if self._active:
                self._requests_mock = requests_mock
                return
        interception.stop_requests_mock(requests_mock)  # stopped in the meantime

    def __enter__(self) -> KmsMock:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _supply_environment(self) -> None:
        """Throwaway credentials (and a region) when none are configured, restored on stop.

        Without them botocore would fail to sign, or look for credentials on the network
        (instance metadata) before the request ever reached the mock.
        """
        wanted = {}
        if "AWS_ACCESS_KEY_ID" not in os.environ:
            wanted["AWS_ACCESS_KEY_ID"] = MOCK_ACCESS_KEY_ID
            wanted["AWS_SECRET_ACCESS_KEY"] = MOCK_SECRET_ACCESS_KEY
        if "AWS_DEFAULT_REGION" not in os.environ and "AWS_REGION" not in os.environ:
            wanted["AWS_DEFAULT_REGION"] = self.region
        for name in wanted:  # called again when moto stops first (moto_compat.py): keep the first saved value
            self._saved_env.setdefault(name, os.environ.get(name))
        self._supplied_env.update(wanted)
        os.environ.update(wanted)

    def _restore_environment(self) -> None:
        heir = interception.active_mock()
        if heir is not None:  # stopped before a mock started after it: that one still needs them
            for name, value in self._saved_env.items():
                heir._saved_env.setdefault(name, value)
                heir._supplied_env.setdefault(name, self._supplied_env[name])
        else:
            taken_over = {}
            for name, value in self._saved_env.items():
                if os.environ.get(name) != self._supplied_env.get(name):
                    taken_over[name] = self._supplied_env[name]  # set by someone else since: theirs
                elif value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            moto_compat = sys.modules.get("mock_kms.moto_compat")  # loaded only next to moto
            if taken_over and moto_compat is not None:
                moto_compat.give_back_environment(taken_over, self._saved_env)
        self._saved_env = {}
        self._supplied_env = {}

    # -- decorator --------------------------------------------------------------------
    def _fresh(self) -> KmsMock:
        """A new mock with the same options (each decorated call gets fresh state)."""
        return KmsMock(
            region=self._region,
            account=self.account,
            quotas=self.quotas,
            strict_credentials=self.strict_credentials,
            intercept_requests=self.intercept_requests,
            state=self.state_path,
            seed=self.seed_path,
            rate_limits=self._rate_limits_option,
            multi_region_delay=self.multi_region_delay,
            predefined_aws_aliases=self.predefined_aws_aliases,
            durable=self.durable,
            verify_signatures=self.verify_signatures,
        )

    def __call__(self, target: F) -> F:
        if isinstance(target, type):
            return self._decorate_class(target)  # type: ignore[return-value]
        return self._decorate_function(target)

    def _decorate_function(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _decorate_class(self, cls: type) -> type:
        unittest = sys.modules.get("unittest")  # not imported here: a TestCase means it is loaded
        if unittest is not None and issubclass(cls, unittest.TestCase):
            # Wrapping run() puts setUp, the test, tearDown and cleanups inside one fresh mock.
            original_run = cls.run

            @functools.wraps(original_run)
            def run(test_self: Any, result: Any = None) -> Any:
                with self._fresh():
                    return original_run(test_self, result)

            cls.run = run  # type: ignore[method-assign]
            return cls
        from mock_kms.class_decorator import decorate_plain_class

        return decorate_plain_class(cls, self._fresh)

    # -- saved state, seeds (mock_kms/state.py, mock_kms/seed.py) ----------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write keys, material, aliases, grants, principals… to a JSON state file."""
        from mock_kms.state import save_state

        save_state(self, path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Replace this mock's state with a saved one (a bad file changes nothing)."""
        from mock_kms.state import load_state

        load_state(self, path)

    def load_seed(self, path: str | os.PathLike[str]) -> None:
        """Add the keys, aliases and principals a seed file (JSON or TOML) declares."""
        from mock_kms.seed import load_seed

        load_seed(self, path)
        if self.durable_state is not None:
            self.durable_state.commit()

    # -- fault injection (mock_kms/faults.py) -----------------------------------------
    def inject_error(
        self,
        operation: str,
        code: str,
        message: str | None = None,
        *,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        key: str | None = None,
        principal: str | Principal | Role | None = None,
        status: int | None = None,
    ) -> Fault:
        """Answer ``operation`` ("*" = any) with AWS error ``code``; options: times, probability,
        seed, key, principal, status. Returns the Fault (``.fired``, ``.remaining``, ``.cancel()``)."""
        from mock_kms.faults import inject_error

        return inject_error(
            self, operation, code, message, times=times, probability=probability, seed=seed, key=key,
            principal=principal, status=status,
        )  # fmt: skip

    def inject_latency(
        self,
        operation: str,
        seconds: float,
        *,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        key: str | None = None,
        principal: str | Principal | Role | None = None,
    ) -> Fault:
        """Delay the answers to ``operation`` ("*" = any) by ``seconds``; same options as inject_error."""
        from mock_kms.faults import inject_latency

        return inject_latency(
            self, operation, seconds, times=times, probability=probability, seed=seed, key=key, principal=principal
        )

    def clear_faults(self) -> None:
        from mock_kms.faults import injector

        injector(self).clear()

    @property
    def faults(self) -> list[Fault]:
        """The injected faults, in the order they are checked."""
        from mock_kms.faults import injector

        return injector(self).faults

    # -- conveniences -----------------------------------------------------------------
    def client(self, service_name: str = "kms", region_name: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client (botocore client if boto3 is not installed) bound to this mock's region."""
        if self.verify_signatures:  # the environment's keys are unknown to the mock: sign with its own
            kwargs.setdefault("aws_access_key_id", MOCK_ACCESS_KEY_ID)
            kwargs.setdefault("aws_secret_access_key", MOCK_SECRET_ACCESS_KEY)
        kwargs.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", MOCK_ACCESS_KEY_ID))
        kwargs.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", MOCK_SECRET_ACCESS_KEY))
        return make_client(service_name, region_name or self.region, **kwargs)

    def __repr__(self) -> str:
        state = "active" if self._active else "inactive"
        return f"<KmsMock {state} account={self.account} region={self.region}>"


_session_lock = threading.Lock()
_session: Any = None


def make_client(service_name: str, region_name: str, **kwargs: Any) -> Any:
    """Create a client from one shared session (creating sessions is the slow part)."""
    global _session
    with _session_lock:
        if _session is None:
            try:
                import boto3.session

                _session = boto3.session.Session()
            except ImportError:  # boto3 is optional: botocore alone works the same
                import botocore.session

                _session = botocore.session.get_session()
        session = _session
    if hasattr(session, "client"):
        return session.client(service_name, region_name=region_name, **kwargs)
    return session.create_client(service_name, region_name=region_name, **kwargs)


# -- feature wiring -----------------------------------------------------------------------
# Feature modules plug into every mock through two lists, kept in one place so the order shows:
# _ON_RESET runs when a mock's state is made (start, or a decorated call); _BEFORE_REQUEST runs
# inside the request lock, before the handler.
_ON_RESET: list[Callable[[KmsMock], None]] = []
_BEFORE_REQUEST: list[Callable[[KmsMock, str, CallRecord], None]] = []


def _install_authorization(mock: KmsMock) -> None:
    from mock_kms.iam.authorize import install

    install(mock)  # key policy checks on CreateKey/PutKeyPolicy, lockout safety check


def _install_regions(mock: KmsMock) -> None:
    from mock_kms.api.multi_region import install as install_multi_region
    from mock_kms.core.managed_keys import PREDEFINED_EXTRA
    from mock_kms.core.managed_keys import install as install_managed_keys

    install_managed_keys(mock.backend)  # alias/aws/<service> -> its AWS managed key, on first use
    mock.backend.extras[PREDEFINED_EXTRA] = mock.predefined_aws_aliases
    install_multi_region(mock.backend)  # replicas saved while Creating settle after a load


def _install_custom_key_stores(mock: KmsMock) -> None:
    from mock_kms.api import custom_key_stores, imports

    custom_key_stores.install(mock)  # CreateKey/GenerateRandom hooks; kms_mock.custom_key_stores
    imports.install(mock)  # imported material expiry survives a state load


def _throttle(mock: KmsMock, operation: str, record: CallRecord) -> None:
    if mock.rate_limits is not None:  # mock_kms(rate_limits=...): mock_kms/rate_limits.py
        from mock_kms.rate_limits import throttle

        throttle(mock, operation, record)


def _register_features() -> None:
    from mock_kms import faults, journal
    from mock_kms.api import grants

    _ON_RESET.extend([journal.install, _install_authorization, _install_regions, _install_custom_key_stores])
    _BEFORE_REQUEST.extend(
        [
            faults.before_request,  # first: an injected error changes nothing
            journal.note_related_keys,
            grants.check_request_grant_tokens,  # GrantTokens must come from this mock's state
            _throttle,
        ]
    )


_register_features()


@overload
def mock_kms(func: F, /) -> F: ...


@overload
def mock_kms(
    func: None = None,
    /,
    *,
    region: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    quotas: dict[str, int] | None = None,
    strict_credentials: bool = False,
    intercept_requests: bool = True,
    state: str | os.PathLike[str] | None = None,
    seed: str | os.PathLike[str] | None = None,
    rate_limits: bool | dict[str, float | None] = False,
    multi_region_delay: timedelta | float = 0,
    predefined_aws_aliases: bool = True,
    durable: bool = False,
    verify_signatures: bool = False,
) -> KmsMock: ...


def mock_kms(func: F | None = None, /, **options: Any) -> F | KmsMock:
    """``@mock_kms``, ``@mock_kms(...)``, ``with mock_kms() as m``, ``m = mock_kms(); m.start()``.

    The options are :class:`KmsMock`'s keyword arguments (documented there).
    """
    mock = KmsMock(**options)
    if func is not None:
        return mock(func)
    return mock
