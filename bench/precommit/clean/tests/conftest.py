import pytest


@pytest.fixture
def report_file(tmp_path):
    return tmp_path / "report.csv"
