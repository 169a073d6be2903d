"""Write a CSV as Parquet with pyarrow (bench venv's python): the M.parquet of issue 11.

pyarrow.csv parses every value to float64 (x1..xp, correctly rounded, as logit's CSV parser) and
int64 (y); the table is written with pyarrow's defaults (snappy compression, dictionary
encoding where it pays) except the row-group size: ROW_GROUP rows (131,072: 8 groups for M,
~50 MB of values each, about what Spark's 128 MB blocks give), so that a reader has row groups
to read in parallel.

Usage: to_parquet.py IN.csv OUT.parquet [--row-group N] [--compression snappy|zstd|none]
"""
import argparse
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROW_GROUP = 131_072


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--row-group", type=int, default=ROW_GROUP)
    ap.add_argument("--compression", default="snappy")
    a = ap.parse_args()
    table = pacsv.read_csv(a.csv)
    pq.write_table(table, a.out + ".tmp", row_group_size=a.row_group,
                   compression=None if a.compression == "none" else a.compression)
    import os
    os.replace(a.out + ".tmp", a.out)
    meta = pq.ParquetFile(a.out).metadata
    print(f"{a.out}: {meta.num_rows} rows, {meta.num_columns} columns, "
          f"{meta.num_row_groups} row groups, schema {table.schema.types[0]}..")


if __name__ == "__main__":
    sys.exit(main())
