"""The live-database side of the SQL targets: `paybill sql drift|apply`.

catalog.py  reads the live catalogs of what a target manages
plan.py     diffs them with the compiled desired state into ordered changes
converge.py drift (report) and apply (one transaction) over a DSN
connect.py  connecting, with the DSN's password masked in every message

This package reads `generated/sql/<target>/state.json` and talks to PostgreSQL; it comes
after `compiler.emit` and is never imported by the compile pipeline.
"""
