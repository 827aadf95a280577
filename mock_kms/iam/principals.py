"""IAM-style identities of a mock: users, groups, roles (and their assumed-role sessions),
each with identity policies, principal tags and an access key pair.

``kms_mock.iam`` is the :class:`IamRegistry` of a mock::

    admins = kms_mock.iam.create_group("admins", policies=[{...}])
    alice = kms_mock.iam.create_user("alice", groups=[admins], tags={"team": "blue"})
    kms = alice.client("kms")                       # requests are made as alice
    role = kms_mock.iam.create_role("app", account="111122223333", policies=[{...}])
    session = role.session("worker-1")              # arn:aws:sts::111122223333:assumed-role/app/worker-1
    kms_b = session.client("kms", region_name="eu-west-1")

A request is made as the principal whose access key signed it (``KmsMock.identify``).
Requests signed with an unknown key are made as the root of the mock's default account,
unless the mock was made with ``strict_credentials=True``.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from mock_kms.iam.decision import AccessDecision
    from mock_kms.iam.policy import Policy
    from mock_kms.mock import KmsMock

__all__ = [
    "AccountRoot",
    "Group",
    "IamRegistry",
    "IdentityPolicy",
    "Principal",
    "Role",
    "RoleSession",
    "User",
]

PolicyDocument = Union[str, Mapping[str, Any], "IdentityPolicy"]

_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")  # IAM user/group/role names [IAM UG: quotas]
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")  # RoleSessionName [STS AssumeRole]
_ACCOUNT = re.compile(r"^\d{12}$")
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True, eq=False)
class IdentityPolicy:
    """An identity-based (IAM) policy: the parsed document and its JSON text.

    Build one with :meth:`IamRegistry.create_policy` to attach the same policy to several
    identities, or pass a plain ``dict``/JSON string wherever a policy is accepted.
    """

    document: str
    parsed: Policy
    name: str | None = None
    # Whether evaluating it can read condition values (it has conditions or variables).
    needs_values: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs_values", needs_values(self.parsed))

    @staticmethod
    def of(document: PolicyDocument, name: str | None = None) -> IdentityPolicy:
        if isinstance(document, IdentityPolicy):
            return document
        from mock_kms.iam.policy import parse_policy  # the policy engine, loaded when first needed

        text = document if isinstance(document, str) else json.dumps(document)
        # Raises MalformedPolicyDocumentException for a bad document, at setup time.
        return IdentityPolicy(text, parse_policy(text, kind="identity"), name)


def needs_values(policy: Policy) -> bool:
    """Whether evaluating ``policy`` can read condition values (conditions or variables)."""
    for statement in policy.statements:
        if statement.conditions:
            return True
        for resource in statement.resources:
            if resource.template is not None:
                return True
    return False


class _Policies:
    """Mixin: inline identity policies attached to a user, group or role."""

    policies: list[IdentityPolicy]

    def attach_policy(self, document: PolicyDocument) -> IdentityPolicy:
        """Attach an identity policy (dict, JSON text or :class:`IdentityPolicy`)."""
        policy = IdentityPolicy.of(document)
        if policy not in self.policies:
            self.policies.append(policy)
        return policy

    def detach_policy(self, policy: IdentityPolicy) -> None:
        self.policies.remove(policy)


class Principal:
    """Something a request can be made as: it has an ARN, an account and an access key pair.

    Subclasses: :class:`User`, :class:`RoleSession`, :class:`AccountRoot`.
    """

    arn: str
    account: str
    access_key_id: str
    secret_access_key: str
    _registry: IamRegistry

    # What aws:PrincipalType reads [IAM UG: reference_policies_condition-keys].
    principal_type = ""

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client``/``boto3.Session``."""
        creds = {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        token = getattr(self, "session_token", None)
        if token:
            creds["aws_session_token"] = token
        return creds

    def client(self, service_name: str = "kms", region_name: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client signed with this principal's access key."""
        from mock_kms.mock import make_client

        mock = self._registry._mock
        for name, value in self.credentials.items():
            kwargs.setdefault(name, value)
        return make_client(service_name, region_name or mock.region, **kwargs)

    # Facts for the global condition keys; overridden per kind.
    @property
    def aliases(self) -> tuple[str, ...]:
        """Other ARNs the principal counts as in a Principal element (a session's role)."""
        return ()

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn (a session's is its role's ARN)."""
        return self.arn

    @property
    def user_id(self) -> str:
        """aws:userid."""
        return self.account

    @property
    def username(self) -> str | None:
        """aws:username (IAM users only)."""
        return None

    @property
    def principal_tags(self) -> Mapping[str, str]:
        return {}

    def identity_policies(self) -> list[IdentityPolicy]:
        """Every identity policy that applies to requests made as this principal."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.arn}>"


@dataclass(eq=False, repr=False)
class Group(_Policies):
    name: str
    account: str
    arn: str
    policies: list[IdentityPolicy] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    def add_user(self, user: User) -> None:
        if user.account != self.account:
            raise ValueError(f"user {user.arn} and group {self.arn} are in different accounts")
        if user not in self.users:
            self.users.append(user)
        if self not in user.groups:
            user.groups.append(self)

    def __repr__(self) -> str:
        return f"<Group {self.arn}>"


@dataclass(eq=False, repr=False)
class User(_Policies, Principal):
    name: str
    account: str
    arn: str
    access_key_id: str
    secret_access_key: str
    unique_id: str
    _registry: IamRegistry
    groups: list[Group] = field(default_factory=list)
    policies: list[IdentityPolicy] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    principal_type = "User"

    @property
    def user_id(self) -> str:
        return self.unique_id

    @property
    def username(self) -> str | None:
        return self.name

    @property
    def principal_tags(self) -> Mapping[str, str]:
        return self.tags

    def identity_policies(self) -> list[IdentityPolicy]:
        policies = list(self.policies)
        for group in self.groups:
            policies.extend(group.policies)
        return policies


@dataclass(eq=False, repr=False)
class Role(_Policies):
    """An IAM role. Requests are made by its sessions (``role.session(name)``);
    ``role.client(...)`` is a shortcut for the client of its default session."""

    name: str
    account: str
    arn: str
    unique_id: str
    _registry: IamRegistry
    policies: list[IdentityPolicy] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, RoleSession] = field(default_factory=dict)

    DEFAULT_SESSION = "mock-kms-session"

    def session(self, name: str | None = None, *, tags: Mapping[str, str] | None = None) -> RoleSession:
        """The assumed-role session ``name`` (created on first use; same object afterwards).

        ``tags`` are session tags: they add to (and override) the role's tags for
        ``aws:PrincipalTag``.
        """
        name = name or self.DEFAULT_SESSION
        existing = self.sessions.get(name)
        if existing is not None:
            if tags is not None:
                existing.session_tags = dict(tags)
            return existing
        if not _SESSION_NAME.match(name):
            raise ValueError(f"invalid role session name {name!r}")
        session = RoleSession(
            role=self,
            session_name=name,
            account=self.account,
            arn=f"arn:{self._registry.partition}:sts::{self.account}:assumed-role/{self.name}/{name}",
            access_key_id="ASIA" + _random(_UPPER_ALNUM, 16),
            secret_access_key=_random(_SECRET_CHARS, 40),
            session_token=_random(_SECRET_CHARS, 120),
            _registry=self._registry,
            session_tags=dict(tags or {}),
        )
        self.sessions[name] = session
        self._registry._by_access_key[session.access_key_id] = session
        return session

    def client(self, service_name: str = "kms", region_name: str | None = None, **kwargs: Any) -> Any:
        return self.session().client(service_name, region_name, **kwargs)

    @property
    def credentials(self) -> dict[str, str]:
        return self.session().credentials

    @property
    def access_key_id(self) -> str:
        return self.session().access_key_id

    def __repr__(self) -> str:
        return f"<Role {self.arn}>"


@dataclass(eq=False, repr=False)
class RoleSession(Principal):
    role: Role
    session_name: str
    account: str
    arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    _registry: IamRegistry
    session_tags: dict[str, str] = field(default_factory=dict)

    principal_type = "AssumedRole"

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.role.arn,)

    @property
    def principal_arn(self) -> str:
        return self.role.arn

    @property
    def user_id(self) -> str:
        return f"{self.role.unique_id}:{self.session_name}"

    @property
    def principal_tags(self) -> Mapping[str, str]:
        if not self.session_tags:
            return self.role.tags
        return {**self.role.tags, **self.session_tags}

    def identity_policies(self) -> list[IdentityPolicy]:
        return list(self.role.policies)


@dataclass(eq=False, repr=False)
class AccountRoot(Principal):
    """The root user of an account: needs no identity policy in its own account."""

    account: str
    arn: str
    access_key_id: str
    secret_access_key: str
    _registry: IamRegistry

    principal_type = "Account"


class IamRegistry:
    """The identities of one mock, in any number of accounts (``kms_mock.iam``)."""

    # What a saved state restores (checked on load: mock_kms/state_checks.py).
    _by_access_key: dict[str, Principal]
    _users: dict[tuple[str, str], User]
    _groups: dict[tuple[str, str], Group]
    _roles: dict[tuple[str, str], Role]
    _roots: dict[str, AccountRoot]
    _policies: dict[tuple[str, str], IdentityPolicy]

    def __init__(self, mock: KmsMock) -> None:
        self._mock = mock
        self._by_access_key: dict[str, Principal] = {}
        self._users: dict[tuple[str, str], User] = {}
        self._groups: dict[tuple[str, str], Group] = {}
        self._roles: dict[tuple[str, str], Role] = {}
        self._roots: dict[str, AccountRoot] = {}
        self._policies: dict[tuple[str, str], IdentityPolicy] = {}

    # -- helpers ----------------------------------------------------------------------
    @property
    def partition(self) -> str:
        from mock_kms.core.keys import partition_for

        return partition_for(self._mock.region)

    def _account(self, account: str | None) -> str:
        account = account or self._mock.account
        if not _ACCOUNT.match(account):
            raise ValueError(f"account must be 12 digits, got {account!r}")
        return account

    @staticmethod
    def _check_name(kind: str, name: str) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"invalid IAM {kind} name {name!r}")

    @staticmethod
    def _path(path: str) -> str:
        if not path.startswith("/") or not path.endswith("/"):
            raise ValueError(f"an IAM path begins and ends with '/', got {path!r}")
        return path

    def _group(self, group: Group | str, account: str) -> Group:
        if isinstance(group, Group):
            return group
        found = self._groups.get((account, group))
        if found is None:
            raise KeyError(f"no group {group!r} in account {account}")
        return found

    def _user(self, user: User | str, account: str | None = None) -> User:
        if isinstance(user, User):
            return user
        found = self._users.get((self._account(account), user))
        if found is None:
            raise KeyError(f"no user {user!r} in account {self._account(account)}")
        return found

    # -- creating identities ----------------------------------------------------------
    def create_policy(self, name: str, document: PolicyDocument, account: str | None = None) -> IdentityPolicy:
        """A named (managed) identity policy that can be attached to several identities."""
        account = self._account(account)
        self._check_name("policy", name)
        if (account, name) in self._policies:
            raise ValueError(f"policy {name!r} already exists in account {account}")
        policy = IdentityPolicy.of(document, name)
        if policy.name != name:
            policy = IdentityPolicy(policy.document, policy.parsed, name)
        self._policies[(account, name)] = policy
        return policy

    def create_group(
        self, name: str, policies: Iterable[PolicyDocument] = (), account: str | None = None, path: str = "/"
    ) -> Group:
        account = self._account(account)
        self._check_name("group", name)
        if (account, name) in self._groups:
            raise ValueError(f"group {name!r} already exists in account {account}")
        group = Group(name, account, f"arn:{self.partition}:iam::{account}:group{self._path(path)}{name}")
        for document in policies:
            group.attach_policy(document)
        self._groups[(account, name)] = group
        return group

    def create_user(
        self,
        name: str,
        account: str | None = None,
        groups: Iterable[Group | str] = (),
        policies: Iterable[PolicyDocument] = (),
        tags: Mapping[str, str] | None = None,
        path: str = "/",
    ) -> User:
        account = self._account(account)
        self._check_name("user", name)
        if (account, name) in self._users:
            raise ValueError(f"user {name!r} already exists in account {account}")
        resolved_groups = [self._group(group, account) for group in groups]
        user = User(
            name=name,
            account=account,
            arn=f"arn:{self.partition}:iam::{account}:user{self._path(path)}{name}",
            access_key_id="AKIA" + _random(_UPPER_ALNUM, 16),
            secret_access_key=_random(_SECRET_CHARS, 40),
            unique_id="AIDA" + _random(_UPPER_ALNUM, 17),
            _registry=self,
            tags=dict(tags or {}),
        )
        for document in policies:
            user.attach_policy(document)
        for group in resolved_groups:
            group.add_user(user)
        self._users[(account, name)] = user
        self._by_access_key[user.access_key_id] = user
        return user

    def create_role(
        self,
        name: str,
        policies: Iterable[PolicyDocument] = (),
        account: str | None = None,
        tags: Mapping[str, str] | None = None,
        path: str = "/",
    ) -> Role:
        account = self._account(account)
        self._check_name("role", name)
        if (account, name) in self._roles:
            raise ValueError(f"role {name!r} already exists in account {account}")
        role = Role(
            name=name,
            account=account,
            arn=f"arn:{self.partition}:iam::{account}:role{self._path(path)}{name}",
            unique_id="AROA" + _random(_UPPER_ALNUM, 17),
            _registry=self,
            tags=dict(tags or {}),
        )
        for document in policies:
            role.attach_policy(document)
        self._roles[(account, name)] = role
        return role

    def root(self, account: str | None = None) -> AccountRoot:
        """The root user of ``account`` (an access key pair that acts as that account's root)."""
        account = self._account(account)
        root = self._roots.get(account)
        if root is None:
            root = AccountRoot(
                account=account,
                arn=f"arn:{self.partition}:iam::{account}:root",
                access_key_id="AKIA" + _random(_UPPER_ALNUM, 16),
                secret_access_key=_random(_SECRET_CHARS, 40),
                _registry=self,
            )
            self._roots[account] = root
            self._by_access_key[root.access_key_id] = root
        return root

    # -- relationships ----------------------------------------------------------------
    def add_user_to_group(self, user: User | str, group: Group | str, account: str | None = None) -> None:
        user = self._user(user, account)
        self._group(group, user.account).add_user(user)

    def remove_user_from_group(self, user: User | str, group: Group | str, account: str | None = None) -> None:
        user = self._user(user, account)
        group = self._group(group, user.account)
        if user in group.users:
            group.users.remove(user)
        if group in user.groups:
            user.groups.remove(group)

    def attach_policy(self, target: User | Group | Role, policy: PolicyDocument) -> IdentityPolicy:
        """Attach an identity policy to a user, group or role."""
        if not isinstance(target, (User, Group, Role)):
            raise TypeError(f"policies attach to a User, Group or Role, not {type(target).__name__}")
        return target.attach_policy(policy)

    def detach_policy(self, target: User | Group | Role, policy: IdentityPolicy) -> None:
        target.detach_policy(policy)

    # -- lookups ----------------------------------------------------------------------
    def get_user(self, name: str, account: str | None = None) -> User:
        return self._user(name, account)

    def get_group(self, name: str, account: str | None = None) -> Group:
        return self._group(name, self._account(account))

    def get_role(self, name: str, account: str | None = None) -> Role:
        found = self._roles.get((self._account(account), name))
        if found is None:
            raise KeyError(f"no role {name!r} in account {self._account(account)}")
        return found

    @property
    def users(self) -> list[User]:
        return list(self._users.values())

    @property
    def groups(self) -> list[Group]:
        return list(self._groups.values())

    @property
    def roles(self) -> list[Role]:
        return list(self._roles.values())

    def principal_for_access_key(self, access_key_id: str) -> Principal | None:
        return self._by_access_key.get(access_key_id)

    @property
    def empty(self) -> bool:
        """No identities registered (every request is made as a root user)."""
        return not (self._users or self._roles)

    # -- the policy simulator (iam/simulate.py) ---------------------------------------
    def simulate(
        self,
        principal: Any,
        action: str,
        key: str | None = None,
        *,
        encryption_context: Mapping[str, str] | None = None,
        grant_tokens: Iterable[str] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> AccessDecision:
        """Would ``principal`` be allowed ``action`` on ``key``? Answers an AccessDecision
        (``.allowed``, ``.decision``, ``.matched_statements``, ``.missing_context_keys``,
        ``str()`` explains) without making a request or changing anything."""
        from mock_kms.iam.simulate import simulate

        return simulate(
            self._mock, principal, action, key, encryption_context=encryption_context,
            grant_tokens=list(grant_tokens) if grant_tokens is not None else None, context=context,
        )  # fmt: skip

    # -- key policy validation --------------------------------------------------------
    def knows_account(self, account: str) -> bool:
        """Whether any user or role was registered in ``account``: only then can the mock
        tell that a principal named in a key policy does not exist."""
        return any(key[0] == account for key in self._users) or any(key[0] == account for key in self._roles)

    def principal_exists(self, arn: str) -> bool:
        """For key policies: does the IAM user, role or assumed-role session ``arn`` exist?

        Accounts with no registered identities are unknown to the mock: every principal
        there is taken to exist (decision: a mock cannot see real accounts).
        """
        match = re.match(r"^arn:[\w-]+:(iam|sts)::(\d{12}):(.+)$", arn)
        if match is None:
            return False
        service, account, resource = match.groups()
        if not self.knows_account(account):
            return True
        if service == "iam":
            kind, _, rest = resource.partition("/")
            table = self._users if kind == "user" else self._roles if kind == "role" else None
            if table is None:
                return False
            return any(entry.arn == arn for (acct, _), entry in table.items() if acct == account)
        kind, _, rest = resource.partition("/")
        if kind == "assumed-role":
            role_name = rest.split("/", 1)[0]
            return (account, role_name) in self._roles
        return True  # federated users are not modelled: accepted
