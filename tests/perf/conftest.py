"""The fixtures of the API and sharing tests, for the query-count guards."""

from tests.api.conftest import caller, make_caller, make_token  # noqa: F401
from tests.sharing.conftest import make_grant, verified_client  # noqa: F401
