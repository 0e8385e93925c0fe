def export(rows, path):
    with open(path, "w") as fh:
        fh.writelines(",".join(map(str, row)) + "\n" for row in rows)
