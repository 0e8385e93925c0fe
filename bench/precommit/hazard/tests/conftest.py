import pytest


@pytest.fixture
def report_file():
    return "/tmp/report.csv"
