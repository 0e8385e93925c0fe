from report import export


def test_export_writes_rows(report_file):
    export([(1, 2)], report_file)
    with open(report_file) as fh:
        assert fh.read() == "1,2\n"
