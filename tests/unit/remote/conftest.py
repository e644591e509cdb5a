from __future__ import annotations

import pytest
from remote_helpers import Captured


@pytest.fixture
def captured() -> Captured:
    return Captured("debug")
