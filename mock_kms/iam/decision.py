"""Access decisions that explain themselves.

The authorizer (``iam/authorize.py``) decides every request with one function; given a
:class:`Trace`, that same function also notes what it looked at -- which statements of which
policy applied, which grant allowed, which condition keys the request lacked -- and
:meth:`Trace.decision` turns the notes into an :class:`AccessDecision`. Requests pass no trace
(nothing is collected on the per-call path); a denied request is decided once more with a
trace for its call record, and ``kms_mock.iam.simulate`` always passes one.

The vocabulary follows IAM's policy simulator (``EvalDecision``, ``MatchedStatements``,
``MissingContextValues``), with KMS's own rules -- key policy, identity policies, grants,
cross-account use, the account principal's delegation -- in one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mock_kms.iam.policy import Decision, EvaluationResult, Policy, applicable_statements, missing_condition_keys

if TYPE_CHECKING:
    from mock_kms.core.grants import Grant
    from mock_kms.iam.policy import RequestContext as PolicyRequest
    from mock_kms.iam.principals import IdentityPolicy

__all__ = ["AccessDecision", "MatchedStatement", "Trace"]

EvalDecision = Literal["allowed", "explicitDeny", "implicitDeny"]
SourceKind = Literal["key policy", "identity policy", "grant"]


@dataclass(frozen=True)
class MatchedStatement:
    """A statement (or a grant) that applied to the request."""

    source: str  # "key policy", "identity policy KeyUsers", "inline policy of group myKMSGroup", "grant <id>"
    sid: str | None
    effect: Literal["Allow", "Deny"]
    kind: SourceKind
    name: str | None = None  # the identity policy's name, or the grant's id

    def __str__(self) -> str:
        return f'{self.source} statement "{self.sid}"' if self.sid else self.source


@dataclass(frozen=True)
class AccessDecision:
    """Whether ``principal_arn`` may perform ``action`` on ``resource``, and why."""

    principal_arn: str
    action: str
    resource: str
    decision: EvalDecision
    matched_statements: tuple[MatchedStatement, ...] = ()
    # Condition keys a policy about this request tests that the request (or the simulator's
    # context) did not supply.
    missing_context_keys: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"

    def __str__(self) -> str:
        return self.explanation


@dataclass
class Trace:
    """What one evaluation looked at; filled in by ``authorize._denial``."""

    principal: Any  # an iam Principal, or None for a root caller without one
    # Extra condition values (the simulator's ``context``); they win over the request's.
    context: Mapping[str, Any] = field(default_factory=dict)
    matched: list[MatchedStatement] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    identity_allow: str | None = None  # the first identity policy that allows
    identity_deny: str | None = None
    key_policy: EvaluationResult | None = None
    grant: Grant | None = None
    grant_operation: bool = False  # a grant could allow this action
    cross_account_blocked: bool = False

    def _statements(self, policy: Policy, request: PolicyRequest, source: str, name: str | None = None) -> None:
        kind: SourceKind = "key policy" if policy.kind == "key" else "identity policy"
        for statement, _ in applicable_statements(policy, request):
            self.matched.append(MatchedStatement(source, statement.sid, statement.effect, kind, name))
        self.missing.extend(key for key in missing_condition_keys(policy, request) if key not in self.missing)

    def identity_policy(self, policy: IdentityPolicy, request: PolicyRequest, result: EvaluationResult) -> None:
        source = identity_source(self.principal, policy)
        self._statements(policy.parsed, request, source, policy.name)
        if result.decision is Decision.DENY:
            self.identity_deny = source
        elif result.decision is Decision.ALLOW and self.identity_allow is None:
            self.identity_allow = source

    def key_policy_result(self, policy: Policy | None, request: PolicyRequest, result: EvaluationResult | None) -> None:
        self.key_policy = result
        if policy is not None and result is not None:
            self._statements(policy, request, "key policy")

    def grant_result(self, grant: Grant | None) -> None:
        self.grant = grant
        if grant is not None:
            self.matched.append(MatchedStatement(f"grant {grant.grant_id}", None, "Allow", "grant", grant.grant_id))

    def decision(
        self, reason: str | None, *, principal_arn: str, principal_account: str, action: str, resource: str,
        key_account: str | None, explicit_deny: bool,
    ) -> AccessDecision:  # fmt: skip
        verdict: EvalDecision = "allowed" if reason is None else "explicitDeny" if explicit_deny else "implicitDeny"
        facts = _Facts(self, principal_arn, principal_account, action, key_account)
        text = facts.allowed() if reason is None else facts.denied(explicit_deny)
        if self.missing and verdict != "allowed":
            text += f" (condition keys missing from the request: {', '.join(self.missing)})"
        return AccessDecision(principal_arn, action, resource, verdict, tuple(self.matched), tuple(self.missing), text)


def identity_source(principal: Any, policy: IdentityPolicy) -> str:
    """How an explanation names an identity policy: by name, else by what it is attached to."""
    if policy.name:
        return f"identity policy {policy.name}"
    if policy in getattr(principal, "policies", ()):
        kind = "role" if hasattr(principal, "role") else "user"
        return f"inline policy of {kind} {principal.name}"
    for group in getattr(principal, "groups", ()):
        if policy in group.policies:
            return f"inline policy of group {group.name}"
    role = getattr(principal, "role", None)
    if role is not None:
        return f"inline policy of role {role.name}"
    return "an identity policy"


@dataclass
class _Facts:
    """The sentences of an explanation."""

    trace: Trace
    arn: str
    account: str
    action: str
    key_account: str | None

    def _by(self) -> str:
        """The key policy statement that decided (evaluate() reports its Sid)."""
        key_policy = self.trace.key_policy
        return f' (statement "{key_policy.sid}")' if key_policy is not None and key_policy.sid else ""

    def allowed(self) -> str:
        trace = self.trace
        if self.key_account is None:
            if trace.identity_allow is None:
                return f"Allowed: {self.arn} is the root user of account {self.account} (no identity policy needed)"
            return f"Allowed: {trace.identity_allow} allows {self.action} for {self.arn}"
        if trace.grant is not None:
            return f"Allowed: grant {trace.grant.grant_id} allows {self.arn} to perform {self.action}"
        by = self._by()
        key_policy = trace.key_policy
        if self.key_account != self.account:
            identity = (
                f"{trace.identity_allow} allows {self.action}"
                if trace.identity_allow
                else "it is its account's root user"
            )
            return f"Allowed: the key policy of account {self.key_account} allows {self.arn} or its account{by}, and {identity}"
        if key_policy is not None and not key_policy.matched_account_principal_only:
            return f"Allowed: the key policy allows {self.arn}{by}"
        return f"Allowed: the key policy allows the account{by}, and {trace.identity_allow} allows {self.action} for {self.arn}"

    def denied(self, explicit: bool) -> str:
        trace = self.trace
        if explicit:
            if trace.identity_deny is not None:
                return f"Denied: {trace.identity_deny} explicitly denies {self.action} for {self.arn}"
            return f"Denied: the key policy explicitly denies {self.action} for {self.arn}{self._by()}"
        if self.key_account is None:
            return f"Denied: no identity policy of {self.arn} allows {self.action}"
        if trace.cross_account_blocked:
            return (
                f"Denied: {self.action} cannot be used across accounts ({self.arn} is in account {self.account}, "
                f"the key in account {self.key_account})"
            )
        key_policy = trace.key_policy
        if key_policy is not None and key_policy.decision is Decision.ALLOW:
            if self.key_account != self.account:
                return (
                    f"Denied: the key policy allows {self.arn} or its account, but no identity policy of "
                    f"{self.arn} in account {self.account} allows {self.action} (cross-account use needs both)"
                )
            return (
                f"Denied: the key policy allows the account, but no identity policy of {self.arn} allows {self.action}"
            )
        return f"Denied: the key policy does not allow {self.arn} (nor its account) to perform {self.action}" + (
            ", and no grant does" if trace.grant_operation else ""
        )
