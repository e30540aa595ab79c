"""Domain errors: each carries a stable code that dialogs and the API turn into words."""


class DomainError(Exception):
    """A rule of the domain refused the request."""

    code = "error"
    keeps_changes = False  # True: what the refused command wrote stays (e.g. a wrong try)

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class SubmissionNotFound(NotFound):
    code = "submission_not_found"


class Conflict(DomainError):
    """The request clashes with the item's current state (HTTP 409)."""

    code = "conflict"


class Invalid(DomainError):
    """The request names something that does not fit (HTTP 422)."""

    code = "invalid"


class Forbidden(DomainError):
    """The account's role does not allow this (HTTP 403)."""

    code = "forbidden"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class Claimed(Conflict):
    code = "claimed"


class NotAnIdea(DomainError):
    code = "not_an_idea"


class OwnIdea(DomainError):
    code = "own_idea"


class IdeaClosed(DomainError):
    code = "idea_closed"


class AlreadySupported(DomainError):
    code = "already_supported"


class AlreadyFollowing(DomainError):
    code = "already_following"


class CommuneNotEnabled(DomainError):
    code = "commune_not_enabled"


class SurveyClosed(Conflict):
    code = "survey_closed"


class SurveyAnswered(Conflict):
    code = "survey_answered"


class FollowUpAnswered(Conflict):
    code = "followup_answered"


class LinkCodeUnknown(DomainError):
    """No live code is this one (mistyped, expired, used, or voided by a newer one); the
    wrong try is counted."""

    code = "link_code_unknown"
    keeps_changes = True


class LinkTriedTooOften(DomainError):
    """This identity tried too many wrong codes lately."""

    code = "link_tried_too_often"


class LinkSameIdentity(DomainError):
    """A code sent back where it was asked for: it must go from the other channel."""

    code = "link_same_identity"


class AlreadyLinked(DomainError):
    code = "already_linked"
